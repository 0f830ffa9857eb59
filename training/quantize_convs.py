"""INT8 convolutions where they cost no accuracy, with no training: for the student (crnn-v6t)
and for the cascade's fallback (PP-OCRv6 small), which share a backbone family.

For the student: ONNX Runtime's static quantization (QDQ: INT8 weights per output channel, UINT8 activations
per tensor) of every convolution reads a dev line 1.44x faster, but loses about 4 points of
exact on the held-out prints. Keeping one group of convolutions at a time in float showed where
the loss comes from (training/MANIFEST, "INT8 convolutions"):
- the squeeze-excite convolutions, on a map pooled to one value a channel;
- the neck's, after the backbone's pool has left one row;
- the first convolutions, on the widest maps, where a few channels span far more than the
  rest (as crnn-zh-v1's did: bench/results/2026-11-27-crnn-qat.md).
The first two cost nothing to keep in float: their maps are tiny. The student's first thirteen
are about a quarter of its convolutions' multiply-adds; the rest run in INT8. PP-OCRv6 small,
whose convolutions are 81 % of its time on a dev line, is more sensitive where it matters, on
the lines the student doubts: only its last stage (--float-first 43: 29 % of its multiply-adds)
runs in INT8; its middle stage in INT8 too lost 1.5 points there.

Activation ranges are percentiles of what rendered training-world lines produce: a min-max
range lets one outlier widen every step of the scale."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

# The convolutions kept in float from the start, in graph order: the stem and the first two
# stages, through the first convolution after the second halving of the rows
FLOAT_FIRST = 13
PERCENTILE = 99.99
# ONNX Runtime's histogram calibration stacks its batches, so every calibration strip is padded
# (or cut) to one width: ten times the 48-pixel height, a typical line
CALIBRATION_WIDTH = 480


@dataclass(frozen=True)
class Grid:
    """A tensor's UINT8 grid: value = scale x (q - zero_point), q in 0..255."""

    scale: float
    zero_point: int


def _grid(node, initializers: dict) -> Grid:
    return Grid(float(initializers[node.input[1]]), int(initializers[node.input[2]]))


def activation_grids(qdq_path: Path) -> dict[str, Grid]:
    """Every activation tensor a QDQ model quantizes (a QuantizeLinear on something other than
    a weight), by name, with its grid: what ONNX Runtime's quantizer takes as overrides."""
    import onnx
    from onnx import numpy_helper

    model = onnx.load(str(qdq_path))
    initializers = {init.name: numpy_helper.to_array(init) for init in model.graph.initializer}
    return {node.input[0]: _grid(node, initializers) for node in model.graph.node
            if node.op_type == "QuantizeLinear" and node.input[0] not in initializers}


def convolution_grids(qdq_path: Path) -> dict[int, tuple[Grid, Grid]]:
    """For each Conv that runs in INT8 in a QDQ model, by its place among the Conv nodes in
    graph order: the grids of its input and of its output."""
    import onnx
    from onnx import numpy_helper

    model = onnx.load(str(qdq_path))
    initializers = {init.name: numpy_helper.to_array(init) for init in model.graph.initializer}
    producers = {out: node for node in model.graph.node for out in node.output}
    consumers: dict[str, list] = {}
    for node in model.graph.node:
        for name in node.input:
            consumers.setdefault(name, []).append(node)
    grids = {}
    for k, conv in enumerate(node for node in model.graph.node if node.op_type == "Conv"):
        dequantize = producers.get(conv.input[0])
        if dequantize is None or dequantize.op_type != "DequantizeLinear":
            continue
        (quantize,) = [node for node in consumers[conv.output[0]] if node.op_type == "QuantizeLinear"]
        grids[k] = (_grid(dequantize, initializers), _grid(quantize, initializers))
    return grids


def float_convolutions(model, first: int = FLOAT_FIRST) -> list[str]:
    """Names of the Conv nodes that stay float: the first `first` in graph order, those fed by a
    pooled vector (squeeze-excite: a ReduceMean or GlobalAveragePool upstream, with only
    biases and activations between), and every one after the backbone's AveragePool (the neck)."""
    constants = {init.name for init in model.graph.initializer}
    pooled: set[str] = set()  # tensors computed from a pooled vector and constants alone
    for node in model.graph.node:
        if node.op_type in ("ReduceMean", "GlobalAveragePool") or (
                node.op_type in ("Conv", "Add", "Mul", "Relu", "HardSigmoid", "HardSwish", "Identity")
                and node.input[0] in pooled and all(name in pooled or name in constants for name in node.input[1:])):
            pooled.update(node.output)

    chosen, seen_pool, position = [], False, 0
    for node in model.graph.node:
        if node.op_type == "AveragePool":
            seen_pool = True
        if node.op_type != "Conv":
            continue
        if position < first or seen_pool or node.input[0] in pooled:
            chosen.append(node.name)
        position += 1
    return chosen


def calibration_strips(images: Iterable[np.ndarray], height: int = 48, width: int = CALIBRATION_WIDTH):
    """Each line image as the recogniser's input tensor [1, 3, height, width]."""
    from ocr_engine.preprocess import pad_batch, resize_to_height

    for image in images:
        yield pad_batch([resize_to_height(image, height)[:, :width]], width)


def quantize_recogniser(source: Path, target: Path, lines: Sequence[np.ndarray], first: int = FLOAT_FIRST,
                     percentile: float = PERCENTILE, grids: Mapping[str, Grid] | None = None) -> list[str]:
    """`source` (a recogniser: float convolutions, perhaps dynamic INT8 LSTM and MatMul) with its
    convolutions but `float_convolutions` in static INT8, calibrated on `lines`, to `target`;
    the model's metadata (a student's charset) kept. Returns the convolutions left in float.
    `grids` (activation tensor -> Grid) override the calibrated ranges of those tensors:
    what quantization-aware training learnt on (training/tiny_qat.py)."""
    import onnx
    from onnxruntime.quantization import CalibrationMethod

    from ocr_build.quantize import quantize_convolutions

    model = onnx.load(str(source))
    kept = float_convolutions(model, first)
    feeds = ({model.graph.input[0].name: strip} for strip in calibration_strips(lines))
    options: dict = {"CalibPercentile": percentile}
    if grids:
        options["TensorQuantOverrides"] = {name: [{"scale": np.array(grid.scale, np.float32),
                                                   "zero_point": np.array(grid.zero_point, np.uint8)}]
                                           for name, grid in grids.items()}
    quantize_convolutions(source, target, feeds, CalibrationMethod.Percentile, options, kept)
    quantized = onnx.load(str(target))
    del quantized.metadata_props[:]
    quantized.metadata_props.extend(model.metadata_props)
    onnx.save(quantized, str(target))
    return kept


def shard_lines(folders: Sequence[Path], count: int) -> list[np.ndarray]:
    """The first count / len(folders) line images of each folder of shards, in shard order."""
    from .data import complete_shards, load_shard

    each, images = count // len(folders), []
    for folder in folders:
        taken: list[np.ndarray] = []
        for index in complete_shards(folder):
            taken += [sample.image() for sample in load_shard(folder, index)[: each - len(taken)]]
            if len(taken) >= each:
                break
        if len(taken) < each:
            raise SystemExit(f"{folder}: {len(taken)} lines, {each} wanted")
        images += taken
    return images


def main(argv: list[str] | None = None) -> int:
    import argparse
    import hashlib

    parser = argparse.ArgumentParser(prog="python -m training.quantize_convs", description=__doc__.split("\n")[0])
    parser.add_argument("--model", type=Path, required=True,
                        help="a recogniser: the exported student (training/models/crnn-v6t.onnx) or "
                        "PP-OCRv6 small as ppocr-v6 has it (build/packs/ppocr-v6/rec.onnx)")
    parser.add_argument("--calibrate", type=Path, nargs="+", required=True,
                        help="folders of training-world shards (never held-out ones) to take the ranges from")
    parser.add_argument("--lines", type=int, default=300, help="calibration lines, split evenly between the folders")
    parser.add_argument("--float-first", type=int, default=FLOAT_FIRST)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args(argv)
    kept = quantize_recogniser(args.model, args.out, shard_lines(args.calibrate, args.lines), args.float_first)
    print(f"{args.out}: {len(kept)} convolutions kept in float ({', '.join(kept)}); "
          f"sha256 {hashlib.sha256(args.out.read_bytes()).hexdigest()}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
