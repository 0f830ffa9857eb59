"""Quantization-aware fine-tuning of crnn-v6t's INT8 convolutions, against the float student.

training/quantize_convs.py runs 18 of the student's 37 convolutions in INT8 with no training
(crnn-v6t-convs: a dev line 1.31x faster), and the student alone loses 0.3-0.9 point of exact
on held-out folders for it (training/MANIFEST, "INT8 convolutions"). Here its INT8 weights
learn to live with that rounding:
- each INT8 convolution's input and output are rounded to the UINT8 grids quantize_convs
  calibrated (read from its QDQ model, and kept fixed), its weight to INT8 per output
  channel (max |w| / 127, as ONNX Runtime computes it) and its bias to INT32 at the input's
  scale times the weight's, as ONNX Runtime does; gradients pass the rounding straight
  through (fake quantization);
- the loss is the float student's own per-frame distribution (KL), on rendered
  training-world lines: the quantized student learns to read as the float one does, not the
  task again. Fine-tuning kn4 on the task forgot what it knew at any rate that moved it
  (MANIFEST, runs j1, j2, dt3);
- only the INT8 convolutions' weights train; the rest stays the float student's, batch norms
  frozen.
The export hands the same grids to ONNX Runtime's quantizer (TensorQuantOverrides), so the
INT8 model computes what was trained (tests/training/test_tiny_qat.py). Run crnn-v6t-q3 read the
held-out lines no better than no training: the activations' rounding on those fixed grids makes
95 % of the INT8 student's distance to the float one (MANIFEST, "Quantization-aware
fine-tuning"); learning the grids too is what is left."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
from torch import nn

from .quantize_convs import Grid, activation_grids, convolution_grids
from .tiny_student import OnnxBackbone, TinyCRNN, _run_node

ACTIVATION_MAX = 255  # UINT8
WEIGHT_MAX = 127  # INT8, symmetric: ONNX Runtime's per-channel weights use -127..127


def round_activation(x: torch.Tensor, grid: Grid) -> torch.Tensor:
    return torch.fake_quantize_per_tensor_affine(x, grid.scale, grid.zero_point, 0, ACTIVATION_MAX)


def round_weight(weight: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """The weight on its INT8 grid per output channel, and the grid's scales. Divided and
    rounded half to even as ONNX Runtime's quantizer does (numpy, float32): torch's
    fake_quantize multiplies by the inverse, and the student's float16 weights often sit on a
    tie, where the two round apart."""
    scales = (weight.detach().abs().amax(dim=(1, 2, 3)) / WEIGHT_MAX).clamp(min=1e-12)
    grid = scales.view(-1, 1, 1, 1)
    rounded = torch.round(weight.detach() / grid).clamp(-WEIGHT_MAX, WEIGHT_MAX) * grid
    return weight + (rounded - weight.detach()), scales


class Int8Convolutions(nn.Module):
    """An OnnxBackbone (tiny's graph, node by node) with ONNX Runtime's rounding simulated on
    the convolutions `grids` names (by place among the Conv nodes). In tiny's graph a
    convolution's bias is the Add that follows it; the export folds it into the Conv, whose
    output is then the Add's: that is the tensor rounded to the output grid. Given ONNX
    Runtime's own input, a convolution computes what ONNX Runtime's does (`convolve`); over the
    whole network the two part by the float rounding of the ops between (an element that
    lands on the other side of a grid point), as two INT8 runs would."""

    def __init__(self, inner: OnnxBackbone, grids: dict[int, tuple[Grid, Grid]]):
        super().__init__()
        self.inner = inner
        conv_nodes = [i for i, node in enumerate(inner.nodes) if node[0] == "Conv"]
        self.rounded: dict[str, Grid] = {}  # tensor -> its grid
        self.bias_adds: dict[int, int] = {}  # node index of an INT8 Conv -> that of its bias Add
        for k, (grid_in, grid_out) in grids.items():
            conv = conv_nodes[k]
            _, inputs, output, _ = inner.nodes[conv]
            (bias,) = [i for i, node in enumerate(inner.nodes) if output in node[1]]
            _, bias_inputs, bias_output, _ = inner.nodes[bias]
            if inner.nodes[bias][0] != "Add" or len(inputs) != 2 or bias_inputs[0] != output:
                raise ValueError(f"Conv {k} is not a bias-free Conv followed by its bias Add")
            self.bias_adds[conv] = bias
            self.rounded[inputs[0]] = grid_in
            self.rounded[bias_output] = grid_out
        # The INT8 weights train in units of their channel's INT8 step as it stood at the start:
        # Adam moves every weight by about its rate whatever its gradient, so a rate in the
        # weights' own units moved the channels with small weights many steps at a time and the
        # others a hundredth of one (runs crnn-v6t-q1, -q2)
        self.units = nn.ParameterDict()
        for conv in self.bias_adds:
            key = inner.names[inner.nodes[conv][1][1]]
            weight = inner.weights[key].detach()
            step = (weight.abs().amax(dim=(1, 2, 3), keepdim=True) / WEIGHT_MAX).clamp(min=1e-12)
            self.register_buffer(f"step_{key}", step)
            self.units[key] = nn.Parameter(weight / step)

    def int8_weight(self, key: str) -> torch.Tensor:
        return self.units[key] * getattr(self, f"step_{key}")

    def write_back(self) -> None:
        """The trained INT8 weights into the backbone's own parameters (the float model's)."""
        with torch.no_grad():
            for key in self.units:
                self.inner.weights[key].copy_(self.int8_weight(key))

    def convolve(self, conv: int, x: torch.Tensor) -> torch.Tensor:
        """The INT8 convolution at node `conv` on `x` (on its input grid), its bias added, before
        the output's rounding: the weight on its INT8 grid, the bias on its INT32 one (the
        input's scale times the weight's, as ONNX Runtime quantizes it)."""
        inner = self.inner
        _, inputs, _, attrs = inner.nodes[conv]
        weight, weight_scales = round_weight(self.int8_weight(inner.names[inputs[1]]))
        bias = inner._tensor(inner.nodes[self.bias_adds[conv]][1][1], {})
        scale = self.rounded[inputs[0]].scale * weight_scales.view(bias.shape)
        bias = bias + (torch.round(bias.detach() / scale) * scale - bias.detach())
        return _run_node("Conv", [x, weight], attrs, False) + bias

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        inner = self.inner
        values = {inner.input: self._round(inner.input, x)}
        biased: dict[int, torch.Tensor] = {}  # bias Add node -> the convolution's output, its bias added
        for index, (op, inputs, output, attrs) in enumerate(inner.nodes):
            if index in self.bias_adds:
                biased[self.bias_adds[index]] = self.convolve(index, values[inputs[0]])
                continue
            value = biased.pop(index) if index in biased else \
                _run_node(op, [inner._tensor(name, values) for name in inputs], attrs, inner.training)
            values[output] = self._round(output, value)
        return values[inner.output]

    def _round(self, name: str, x: torch.Tensor) -> torch.Tensor:
        grid = self.rounded.get(name)
        return x if grid is None else round_activation(x, grid)


def simulate_int8(model: TinyCRNN, grids: dict[int, tuple[Grid, Grid]]) -> TinyCRNN:
    """`model` with its backbone's INT8 convolutions simulated (in place)."""
    backbone = model.backbone
    if not isinstance(backbone, OnnxBackbone):
        raise TypeError("the student's backbone is not tiny's graph")
    model.backbone = Int8Convolutions(backbone, grids)
    return model


def as_float(model: TinyCRNN) -> TinyCRNN:
    """The model back on its plain backbone (the trained weights kept), for the export."""
    if isinstance(model.backbone, Int8Convolutions):
        model.backbone.write_back()
        model.backbone = model.backbone.inner
    return model


def export_int8(model: TinyCRNN, grids_from: Path, out: Path, characters: list[str], lines: list[np.ndarray]) -> Path:
    """The student as ONNX (training/tiny_student.export_onnx: dynamic INT8 LSTM and MatMuls),
    its convolutions then quantized as `grids_from` (a QDQ model of the same network) has
    them, on exactly its grids; `lines` only feed the quantizer's calibration pass, whose ranges
    the grids override."""
    import tempfile

    import onnx

    from .quantize_convs import float_convolutions, quantize_recogniser
    from .tiny_student import export_onnx

    with tempfile.TemporaryDirectory() as tmp:
        student = export_onnx(as_float(model), Path(tmp) / "student.onnx", characters=characters)
        int8 = set(convolution_grids(grids_from))
        graph = onnx.load(str(student))
        conv_names = [node.name for node in graph.graph.node if node.op_type == "Conv"]
        first = next(k for k in range(len(conv_names)) if k in int8)
        if {conv_names.index(n) for n in float_convolutions(graph, first)} != \
                set(range(len(conv_names))) - int8:
            raise ValueError(f"{grids_from}'s INT8 convolutions are not quantize_convs' rule for this network")
        quantize_recogniser(student, Path(out), lines, first, grids=activation_grids(grids_from))
    return Path(out)


def distillation_loss(student: TinyCRNN, reference: TinyCRNN, batch: torch.Tensor) -> torch.Tensor:
    """KL(reference || student) per frame, averaged over every frame of the batch."""
    with torch.no_grad():
        target = reference.logits(batch).log_softmax(-1)
    predicted = student.logits(batch).log_softmax(-1)
    return (target.exp() * (target - predicted)).sum(-1).mean()
