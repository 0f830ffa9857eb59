"""Quantization-aware fine-tuning of the CRNN's convolutions, and the ranges it learns
handed to ONNX Runtime's quantizer.

ONNX Runtime runs a convolution in INT8 (QLinearConv) when its input, its weight and its
output are quantized: activations per tensor, UINT8, asymmetric; weights per output
channel, INT8, symmetric. Post-training quantization of PP-OCRv2's backbone with ranges
calibrated on rendered lines collapses it (dev exact 0.84 -> 0.17), and almost all of the
loss comes from the stem and the first three blocks, whose activation maps have a few
channels far wider than the rest (bench/results/2026-11-27-crnn-qat.md). So fine-tuning
simulates the very rounding ONNX Runtime will do (fake quantization, straight-through
gradients) on the very tensors it will quantize: each convolution's input, its weight and
bias once the batch norm is folded in (as the export folds it), and its output. The
weights and batch-norm affine terms learn to live with it, and at export the ranges
learnt here are given to the quantizer as they are (`tensor_overrides`), so the INT8 model
computes what was trained, not what a calibration set would pick
(tests/training/test_qat.py checks it layer by layer).

Batch-norm statistics stay frozen, so the folding done in training is the export's. The
squeeze-excite convolutions (1x1 on a pooled vector, no time) stay fp32."""

from __future__ import annotations

from typing import Any, cast

import torch
from torch import nn

from .student import CRNN, ConvBN

ACTIVATION_MAX = 255  # UINT8
WEIGHT_MAX = 127  # INT8, symmetric: ONNX Runtime's per-channel weights use -127..127


class ActivationQuantizer(nn.Module):
    """UINT8 per tensor over a range that follows the training batches (an exponential
    moving average of each batch's min and max, as torch's QAT observers do), widened to
    hold 0 as ONNX Runtime's does. Eval mode uses the range as it stands."""

    low: torch.Tensor
    high: torch.Tensor
    observed: torch.Tensor

    def __init__(self, momentum: float = 0.01):
        super().__init__()
        self.momentum = momentum
        self.register_buffer("low", torch.zeros(()))
        self.register_buffer("high", torch.zeros(()))
        self.register_buffer("observed", torch.zeros((), dtype=torch.long))
        self.enabled = True  # False: pass through (observing only, or exporting the fp32 graph)

    def quantization(self) -> tuple[torch.Tensor, torch.Tensor]:
        """(scale, zero point) as ONNX Runtime computes them from the range."""
        low, high = self.low.clamp(max=0.0), self.high.clamp(min=0.0)
        scale = ((high - low) / ACTIVATION_MAX).clamp(min=1e-8)
        zero_point = torch.round(-low / scale).clamp(0, ACTIVATION_MAX).to(torch.int32)
        return scale, zero_point

    def ready(self) -> bool:
        return int(self.observed) > 0

    def forward(self, x):
        if self.training:
            with torch.no_grad():
                low, high = torch.aminmax(x.detach())
                if int(self.observed) == 0:
                    self.low.copy_(low)
                    self.high.copy_(high)
                else:
                    self.low.lerp_(low, self.momentum)
                    self.high.lerp_(high, self.momentum)
                self.observed += 1
        if not self.enabled or not self.ready():
            return x
        scale, zero_point = self.quantization()
        return torch.fake_quantize_per_tensor_affine(x, scale, zero_point, 0, ACTIVATION_MAX)


class ConvBNQuantization(nn.Module):
    """A ConvBN's convolution as ONNX Runtime runs it in INT8: the batch norm folded in
    (its statistics frozen), the input rounded to its UINT8 grid, the folded weight to INT8
    per output channel (symmetric, scale max|w| / 127), the folded bias to INT32 at scale
    input scale x weight scale, and the output to its UINT8 grid. Gradients pass the
    rounding straight through. Disabled, it computes the fp32 ConvBN (still following the
    ranges while training)."""

    def __init__(self):
        super().__init__()
        self.input = ActivationQuantizer()
        self.output = ActivationQuantizer()
        self.enabled = True

    def forward(self, x, conv: nn.Conv2d, bn: nn.BatchNorm2d):
        x = self.input(x)
        if not self.enabled or not self.input.ready():
            return self.output(bn(conv(x)))
        assert bn.running_mean is not None and bn.running_var is not None  # its statistics, frozen
        fold = bn.weight / torch.sqrt(bn.running_var + bn.eps)
        weight = conv.weight * fold.view(-1, 1, 1, 1)
        bias = bn.bias - bn.running_mean * fold
        weight_scale = (weight.detach().abs().amax(dim=(1, 2, 3)) / WEIGHT_MAX).clamp(min=1e-12)
        zero_points = torch.zeros(weight_scale.shape, dtype=torch.int32, device=weight.device)
        weight = torch.fake_quantize_per_channel_affine(weight, weight_scale, zero_points, 0, -WEIGHT_MAX, WEIGHT_MAX)
        bias_scale = self.input.quantization()[0] * weight_scale
        bias = bias + (torch.round(bias.detach() / bias_scale) * bias_scale - bias.detach())
        return self.output(nn.functional.conv2d(x, weight, bias, conv.stride, conv.padding, conv.dilation, conv.groups))


def convolutions(model: CRNN) -> list[ConvBN]:
    """Every ConvBN, in the order the export writes its Conv node."""
    return [module for module in model.backbone.modules() if isinstance(module, ConvBN)]


def quantized_convolutions(model: CRNN) -> list[ConvBN]:
    """The ConvBNs that run in INT8, in the order the export writes them."""
    return [conv for conv in convolutions(model) if conv.quantization is not None]


def prepare(model: CRNN, float_blocks: int = 0) -> CRNN:
    """Simulated INT8 for every ConvBN but, when `float_blocks` > 0, those of the stem and
    the first `float_blocks` backbone blocks, which stay fp32 (as CRNN.freeze counts); batch
    norms frozen. The ranges are part of the state dict."""
    keep_float = set()
    if float_blocks > 0:
        keep_float = {id(m) for part in (model.backbone.stem, *model.backbone.blocks[:float_blocks])
                      for m in part.modules()}
    for conv in convolutions(model):
        if conv.quantization is None and id(conv) not in keep_float:
            conv.quantization = ConvBNQuantization()
    model.frozen_statistics = True
    return model.train(model.training)


def prepare_like(model: CRNN, state_dict: dict) -> CRNN:
    """Prepared as the model whose state dict this is: the same ConvBNs quantized."""
    prefixes = {name.split(".quantization.input.")[0] for name in state_dict if ".quantization.input." in name}
    for name, module in model.named_modules():
        if isinstance(module, ConvBN) and name in prefixes and module.quantization is None:
            module.quantization = ConvBNQuantization()
    model.frozen_statistics = True
    return model.train(model.training)


def is_prepared(state_dict: dict) -> bool:
    return any(".quantization.input." in name for name in state_dict)


def set_enabled(model: CRNN, enabled: bool) -> None:
    """The rounding on (training, simulated INT8 evaluation) or off (calibrating; the fp32
    graph that the export hands to ONNX Runtime's quantizer)."""
    for module in model.modules():
        if isinstance(module, (ActivationQuantizer, ConvBNQuantization)):
            module.enabled = enabled


def _activation_quantizers(model: CRNN) -> list[ActivationQuantizer]:
    return [module for module in model.modules() if isinstance(module, ActivationQuantizer)]


def needs_calibration(model: CRNN) -> bool:
    return any(not quantizer.ready() for quantizer in _activation_quantizers(model))


@torch.no_grad()
def calibrate(model: CRNN, batches) -> None:
    """Start every range from real activations before the rounding is switched on: the
    first batch sets it, the following ones average into it. Frozen blocks included: their
    ranges stay where this leaves them."""
    quantizers = _activation_quantizers(model)
    for quantizer in quantizers:
        quantizer.observed.zero_()
    was_training = model.training
    set_enabled(model, False)
    model.eval()
    for quantizer in quantizers:
        quantizer.train()
    for images in batches:
        model(images)
    set_enabled(model, True)
    model.train(was_training)


def _conv_nodes(model: CRNN, onnx_model) -> list[tuple[Any, ConvBN]]:
    """(Conv node, ConvBN) pairs, matched in graph order (the export keeps the module
    order), the squeeze-excite convolutions aside."""
    nodes = [node for node in onnx_model.graph.node if node.op_type == "Conv" and "/se/" not in node.name]
    modules = convolutions(model)
    if len(nodes) != len(modules):
        raise ValueError(f"{len(nodes)} Conv nodes in the graph for {len(modules)} ConvBNs")
    return list(zip(nodes, modules))


def tensor_overrides(model: CRNN, onnx_model) -> dict:
    """ONNX Runtime's `TensorQuantOverrides`: each quantized convolution's input and output
    tensor with the scale and zero point learnt here."""
    import numpy as np

    overrides: dict[str, list[dict]] = {}
    for node, conv in _conv_nodes(model, onnx_model):
        if conv.quantization is None:
            continue
        quantization = cast(ConvBNQuantization, conv.quantization)  # what prepare() puts there
        for tensor, quantizer in ((node.input[0], quantization.input), (node.output[0], quantization.output)):
            scale, zero_point = quantizer.quantization()
            overrides[tensor] = [{"scale": np.array(scale.item(), np.float32),
                                  "zero_point": np.array(zero_point.item(), np.uint8)}]
    return overrides


def excluded_nodes(model: CRNN, onnx_model) -> list[str]:
    """The Conv nodes that stay fp32: squeeze-excite, and the ConvBNs kept float."""
    squeeze_excite = [node.name for node in onnx_model.graph.node if node.op_type == "Conv" and "/se/" in node.name]
    return squeeze_excite + [node.name for node, conv in _conv_nodes(model, onnx_model) if conv.quantization is None]
