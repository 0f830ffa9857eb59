"""Checkpoint -> ONNX the engine runs: softmax probabilities [N, W/4, classes], the
BiLSTM as ONNX `LSTM` ops (opset 17, TorchScript exporter), batch norms folded into the
convolutions, dynamic INT8 for the LSTM and MatMul weights, and, for a checkpoint of
quantization-aware training (training/qat.py), static INT8 convolutions with the ranges it
learnt (QDQ, which ONNX Runtime runs as QLinearConv).

Hard-swish is exported as the opset-14 `HardSwish` op, which ONNX Runtime fuses into the
fp32 convolution before it, where Paddle's export spelled it as Add/Clip/Mul/Div, four
unfused passes over every activation map. Between INT8 convolutions it runs on the
dequantized map (ONNX Runtime has no quantized hard-swish). A checkpoint trained without
fake quantization keeps fp32 convolutions: post-training static INT8 collapses this
network (0.17-0.24 exact on the dev lines, by calibration set:
bench/results/2026-11-27-crnn-qat.md)."""

from __future__ import annotations

import tempfile
from pathlib import Path

import torch

from . import qat
from .student import CRNN, CRNNProbabilities

OPSET = 17
QUANTIZED_OPS = ["LSTM", "MatMul"]


def load_checkpoint(model: CRNN, path: Path) -> dict:
    """Weights into `model`, with fake quantizers put in first when the checkpoint comes
    from quantization-aware training."""
    state = torch.load(path, map_location="cpu", weights_only=False)
    weights = state["model"] if "model" in state else state
    if qat.is_prepared(weights):
        qat.prepare_like(model, weights)
    model.load_state_dict({k: v.float() if v.is_floating_point() else v for k, v in weights.items()})
    return state


def model_for(checkpoint: Path) -> tuple[CRNN, list[str]]:
    """A CRNN shaped for `checkpoint`'s charset (blank first), and that charset; its weights
    still to load."""
    charset = torch.load(checkpoint, map_location="cpu", weights_only=False)["charset"]
    return CRNN(len(charset)), charset


def export_onnx(model: CRNN, path: Path, charset: list[str]) -> None:
    """`charset`: the characters after the blank, stored as the `character` metadata
    (one per line) the way PaddleOCR's exports carry theirs."""
    import onnx

    model = model.eval()
    qat.set_enabled(model, False)  # the fp32 graph; quantize_convolutions puts the rounding back
    example = torch.zeros(1, 3, 32, 128)
    torch.onnx.export(
        CRNNProbabilities(model), (example,), str(path), opset_version=OPSET, dynamo=False,
        input_names=["x"], output_names=["probabilities"],
        dynamic_axes={"x": {0: "batch", 3: "width"}, "probabilities": {0: "batch", 1: "frames"}},
        do_constant_folding=True,
    )
    exported = onnx.load(str(path))
    characters = charset[:-1] if charset and charset[-1] == " " else charset
    entry = exported.metadata_props.add()
    entry.key, entry.value = "character", "\n".join(characters)
    onnx.save(exported, str(path))


def quantize_convolutions(model: CRNN, source: Path, target: Path) -> None:
    """Static INT8 (QDQ) for the convolutions that `model` was trained to run quantized,
    at exactly its learnt scales and zero points."""
    import numpy as np
    import onnx
    from onnxruntime.quantization import CalibrationDataReader, QuantFormat, QuantType, quantize_static

    class Blank(CalibrationDataReader):
        """Every quantized tensor's range is overridden; the quantizer still wants data."""

        def __init__(self):
            self.inputs = iter([{"x": np.zeros((1, 3, 32, 128), np.float32)}])

        def get_next(self):
            return next(self.inputs, None)

    graph = onnx.load(str(source))
    quantize_static(str(source), str(target), Blank(), quant_format=QuantFormat.QDQ, op_types_to_quantize=["Conv"],
                    per_channel=True, activation_type=QuantType.QUInt8, weight_type=QuantType.QInt8,
                    nodes_to_exclude=qat.excluded_nodes(model, graph),
                    extra_options={"TensorQuantOverrides": qat.tensor_overrides(model, graph)})


def quantize_int8(source: Path, target: Path) -> None:
    from onnxruntime.quantization import QuantType, quantize_dynamic

    quantize_dynamic(str(source), str(target), op_types_to_quantize=QUANTIZED_OPS, weight_type=QuantType.QInt8)


def export_checkpoint(checkpoint: Path, out: Path, fp32_out: Path | None = None, log=print) -> Path:
    model, charset = model_for(checkpoint)
    state = load_checkpoint(model, checkpoint)
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    trained_quantized = bool(qat.quantized_convolutions(model))
    with tempfile.TemporaryDirectory() as tmp:
        fp32 = Path(fp32_out) if fp32_out else Path(tmp) / "fp32.onnx"
        export_onnx(model, fp32, charset[1:])
        if trained_quantized:
            convolutions = Path(tmp) / "convolutions-int8.onnx"
            quantize_convolutions(model, fp32, convolutions)
            quantize_int8(convolutions, out)
        else:
            quantize_int8(fp32, out)
    what = "convolutions, LSTM and MatMul" if trained_quantized else "LSTM + MatMul"
    log(f"{out}: INT8 ({what}) from {checkpoint} (step {state.get('step', '?')}), {out.stat().st_size / 1e6:.1f} MB")
    return out


def slim_checkpoint(source: Path, target: Path) -> Path:
    """A checkpoint small enough to commit (under 5 MB): the weight matrices in float16, the
    rest (biases, batch-norm statistics) as they are, the step, counters and random states;
    no AdamW moments (a resumed run starts them afresh, as after a warm-up). To continue
    from it, copy it to `<run>/checkpoint.pt` and pass `--resume`."""
    state = torch.load(source, map_location="cpu", weights_only=False)
    state.pop("optimizer", None)
    state["model"] = {name: value.half() if value.is_floating_point() and value.dim() >= 2 else value
                      for name, value in state["model"].items()}
    target = Path(target)
    tmp = target.with_name(f".{target.name}.tmp")
    torch.save(state, tmp)
    tmp.replace(target)
    return target
