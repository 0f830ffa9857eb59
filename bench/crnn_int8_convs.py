"""Would INT8 convolutions make the CRNN faster, and which way of getting them keeps its
accuracy? Time per dev line, interleaved line by line (one ONNX Runtime thread, best of
3), exact and CER, and the ops of ONNX Runtime's optimised graph (what actually runs), for:

- the fp32-trained checkpoint exported as it ships (convolutions fp32, LSTM/MatMul INT8);
- the same with its convolutions quantized after training (static QDQ, per-channel INT8
  weights, UINT8 activations calibrated on rendered lines, never dev lines);
- with --qat-checkpoint, a quantization-aware checkpoint (training/qat.py) exported with
  the ranges it learnt;
- plain fp32.

--by-block adds the sensitivity table: post-training INT8 for one backbone block at a time
(the rest fp32), which shows where the accuracy goes.

    .venv/bin/python bench/crnn_int8_convs.py --checkpoint FP32_CKPT [--qat-checkpoint QAT_CKPT ...] [--by-block]
"""

from __future__ import annotations

import argparse
import collections
import math
import sys
import tempfile
import time
from pathlib import Path

import cv2
import numpy as np
import onnx
import onnxruntime as ort
from onnxruntime.quantization import CalibrationDataReader, QuantFormat, QuantType, quantize_dynamic, quantize_static

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from ocr_engine.ctc import best_path, collapse  # noqa: E402
from ocr_engine.preprocess import pad_batch, resize_to_height  # noqa: E402
from training.evaluate import DEFAULT_EVAL_DIR, MIN_WIDTH, _score_module, dev_lines  # noqa: E402
from training.export import QUANTIZED_OPS, export_checkpoint  # noqa: E402
from training.qat import is_prepared  # noqa: E402


def strip_input(image: np.ndarray) -> tuple[np.ndarray, int]:
    strip = resize_to_height(image, 32)
    return pad_batch([strip], max(MIN_WIDTH, math.ceil(strip.shape[1] / 4) * 4)), math.ceil(strip.shape[1] / 4)


class RenderedLines(CalibrationDataReader):
    """Calibration on rendered training lines, never the dev lines that are scored."""

    def __init__(self, count: int):
        from training.render import LineRenderer

        renderer = LineRenderer(seed=424242)
        texts = ["TOTAL 12.50", "发票代码 044031900111", "JALAN UTAMA, 43300 SERI KEMBANGAN", "全场包邮 限时抢购",
                 "Invoice No: 2026-0117", "收款人：王明", "GST ID NO: 000306020352", "合计金额（大写）"]
        self.inputs = iter([{"x": strip_input(renderer.render(texts[i % len(texts)]))[0]} for i in range(count)])

    def get_next(self):
        return next(self.inputs, None)


def session(path: Path) -> ort.InferenceSession:
    options = ort.SessionOptions()
    options.intra_op_num_threads = options.inter_op_num_threads = 1
    return ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])


def optimised_ops(path: Path, folder: Path) -> dict:
    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    options.optimized_model_filepath = str(folder / f"{path.stem}.optimised.onnx")
    ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
    return dict(collections.Counter(n.op_type for n in onnx.load(options.optimized_model_filepath).graph.node))


def quantize_statically(fp32: Path, target: Path, calibration_lines: int, exclude: list[str] | None = None) -> Path:
    convolutions = target.with_suffix(".convs.onnx")
    quantize_static(str(fp32), str(convolutions), RenderedLines(calibration_lines), quant_format=QuantFormat.QDQ,
                    op_types_to_quantize=["Conv"], per_channel=True, activation_type=QuantType.QUInt8,
                    weight_type=QuantType.QInt8, nodes_to_exclude=exclude or [])
    quantize_dynamic(str(convolutions), str(target), op_types_to_quantize=QUANTIZED_OPS, weight_type=QuantType.QInt8)
    return target


def read_all(runner: ort.InferenceSession, inputs, charset, repeats: int) -> tuple[list[str], list[float]]:
    texts, seconds = [], []
    for x, frames in inputs:
        (probs,) = runner.run(None, {"x": x})  # also the warm-up: a shape's first call builds its kernels
        best = math.inf
        for _ in range(repeats):
            start = time.perf_counter()
            (probs,) = runner.run(None, {"x": x})
            best = min(best, time.perf_counter() - start)
        seconds.append(best)
        classes, scores = best_path(probs[:, :frames])
        texts.append(collapse(classes[0], scores[0], charset)[0])
    return texts, seconds


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--checkpoint", type=Path, required=True, help="a checkpoint trained without fake quantization")
    parser.add_argument("--qat-checkpoint", type=Path, nargs="*", default=[],
                        help="quantization-aware checkpoints (training/qat.py)")
    parser.add_argument("--calibration-lines", type=int, default=64)
    parser.add_argument("--by-block", action="store_true", help="also post-training INT8 one backbone block at a time")
    args = parser.parse_args()
    import torch

    if is_prepared(torch.load(args.checkpoint, map_location="cpu", weights_only=False)["model"]):
        parser.error(f"{args.checkpoint} is a quantization-aware checkpoint; give it as --qat-checkpoint")
    folder = Path(tempfile.mkdtemp(prefix="crnn-int8-"))
    shipped, fp32 = folder / "shipped.onnx", folder / "fp32.onnx"
    export_checkpoint(args.checkpoint, shipped, fp32_out=fp32, log=lambda _: None)
    models = {"convs fp32, LSTM/MatMul INT8 (as shipped before QAT)": shipped,
              "convs INT8 post-training static + LSTM/MatMul INT8": quantize_statically(fp32, folder / "static.onnx",
                                                                                          args.calibration_lines)}
    for i, checkpoint in enumerate(args.qat_checkpoint):
        state = torch.load(checkpoint, map_location="cpu", weights_only=False)
        float_blocks = state.get("config", {}).get("qat_float_blocks", 0)
        kept = f"stem + blocks 0-{float_blocks - 1} fp32" if float_blocks else "all ConvBNs INT8"
        name = f"convs INT8 from QAT ({kept}; {checkpoint.parent.name} step {state['step']}) + LSTM/MatMul INT8"
        models[name] = export_checkpoint(checkpoint, folder / f"qat-{i}.onnx", log=lambda _: None)
    models["fp32"] = fp32

    sessions = {name: session(path) for name, path in models.items()}
    metadata = {p.key: p.value for p in onnx.load(str(shipped)).metadata_props}
    charset = ["<blank>"] + metadata["character"].split("\n") + [" "]
    lines = dev_lines(DEFAULT_EVAL_DIR)
    inputs = [strip_input(cv2.imread(str(path), cv2.IMREAD_COLOR)) for path, _ in lines]
    seconds = {name: [] for name in models}
    texts = {name: [] for name in models}
    for item in inputs:  # interleaved: line by line, every model in turn
        for name, runner in sessions.items():
            (text,), (best,) = read_all(runner, [item], charset, repeats=3)
            texts[name].append(text)
            seconds[name].append(best)
    score = _score_module(DEFAULT_EVAL_DIR).score
    base = float(np.sum(seconds[next(iter(models))]))
    print(f"checkpoint {args.checkpoint}, QAT checkpoints {[str(c) for c in args.qat_checkpoint]}, "
          f"{len(lines)} dev lines, "
          f"onnxruntime {ort.__version__}, 1 thread\n")
    print("| model | exact | CER | ms/line mean | median | sum vs first row | file MB |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for name, path in models.items():
        result = score([(truth, text) for (_, truth), text in zip(lines, texts[name])])
        print(f"| {name} | {result['exact']:.4f} | {result['cer']:.4f} | {1000 * np.mean(seconds[name]):.2f} | "
              f"{1000 * np.median(seconds[name]):.2f} | {np.sum(seconds[name]) / base:.2f} | "
              f"{path.stat().st_size / 1e6:.1f} |")
    for name in models:
        if "INT8" in name and "convs fp32" not in name:
            print(f"\nONNX Runtime's optimised graph, {name}:", optimised_ops(models[name], folder))

    if args.by_block:
        convs = [node.name for node in onnx.load(str(fp32)).graph.node if node.op_type == "Conv"]

        def block(name: str) -> str:
            return "stem" if "/stem/" in name else "block " + name.split("blocks.")[1].split("/")[0]

        print("\nPost-training INT8 for one block's convolutions at a time (the rest fp32):\n")
        print("| quantized | exact | CER |")
        print("|---|---:|---:|")
        for group in dict.fromkeys(block(name) for name in convs):
            path = quantize_statically(fp32, folder / "one-block.onnx", args.calibration_lines,
                                       exclude=[name for name in convs if block(name) != group])
            found, _ = read_all(session(path), inputs, charset, repeats=0)
            result = score([(truth, text) for (_, truth), text in zip(lines, found)])
            print(f"| {group} | {result['exact']:.4f} | {result['cer']:.4f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
