"""Would INT8 convolutions make the CRNN faster? Its convolutions quantized statically (QDQ,
per-channel INT8 weights, UINT8 activations calibrated on rendered training lines) beside
the shipped export (convolutions fp32, LSTM/MatMul dynamic INT8) and plain fp32: time per
dev line, interleaved line by line (one ONNX Runtime thread, best of 3), exact and CER,
and the ops of ONNX Runtime's optimised graph (what actually runs).

    .venv/bin/python bench/crnn_int8_convs.py [--checkpoint training/models/crnn-zh-v1.ckpt.pt]
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


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--checkpoint", type=Path, default=ROOT / "training" / "models" / "crnn-zh-v1.ckpt.pt")
    parser.add_argument("--calibration-lines", type=int, default=64)
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="crnn-int8-"))
    shipped, fp32 = folder / "shipped.onnx", folder / "fp32.onnx"
    export_checkpoint(args.checkpoint, shipped, fp32_out=fp32, log=lambda _: None)
    static = folder / "int8-convs.onnx"
    quantize_static(str(fp32), str(folder / "convs.onnx"), RenderedLines(args.calibration_lines),
                    quant_format=QuantFormat.QDQ, op_types_to_quantize=["Conv"], per_channel=True,
                    activation_type=QuantType.QUInt8, weight_type=QuantType.QInt8)
    quantize_dynamic(str(folder / "convs.onnx"), str(static), op_types_to_quantize=QUANTIZED_OPS, weight_type=QuantType.QInt8)

    models = {"shipped (convs fp32, LSTM/MatMul INT8)": shipped, "convs INT8 static + LSTM/MatMul INT8": static, "fp32": fp32}
    sessions = {name: session(path) for name, path in models.items()}
    charset = ["<blank>"] + {p.key: p.value for p in onnx.load(str(shipped)).metadata_props}["character"].split("\n") + [" "]
    lines = dev_lines(DEFAULT_EVAL_DIR)
    seconds = {name: [] for name in models}
    texts = {name: [] for name in models}
    for path, _ in lines:
        x, frames = strip_input(cv2.imread(str(path), cv2.IMREAD_COLOR))
        for name, runner in sessions.items():
            runner.run(None, {"x": x})
            best = math.inf
            for _ in range(3):
                start = time.perf_counter()
                (probs,) = runner.run(None, {"x": x})
                best = min(best, time.perf_counter() - start)
            seconds[name].append(best)
            classes, scores = best_path(probs[:, :frames])
            texts[name].append(collapse(classes[0], scores[0], charset)[0])
    score = _score_module(DEFAULT_EVAL_DIR).score
    base = float(np.sum(seconds[next(iter(models))]))
    print(f"checkpoint {args.checkpoint}, {len(lines)} dev lines, onnxruntime {ort.__version__}, 1 thread\n")
    print("| model | exact | CER | ms/line mean | median | sum vs shipped |")
    print("|---|---:|---:|---:|---:|---:|")
    for name in models:
        result = score([(truth, text) for (_, truth), text in zip(lines, texts[name])])
        print(f"| {name} | {result['exact']:.4f} | {result['cer']:.4f} | {1000 * np.mean(seconds[name]):.2f} | "
              f"{1000 * np.median(seconds[name]):.2f} | {np.sum(seconds[name]) / base:.2f} |")
    print("\nONNX Runtime's optimised graph, convs INT8:", optimised_ops(static, folder))
    return 0


if __name__ == "__main__":
    sys.exit(main())
