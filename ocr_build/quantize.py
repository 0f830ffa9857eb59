"""Quantizing a pack's models: dynamic INT8 of the MatMul weights, or static INT8 of the
convolutions calibrated on synthetic text (ocr_build/calibration.py)."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator, Sequence
from pathlib import Path

from ocr_engine.errors import ModelPackError

CALIBRATION_IMAGES = {"det": 30, "rec": 300}


def quantize(source: Path, target: Path, precision: str, role: str) -> None:
    if precision == "fp32":
        shutil.copyfile(source, target)
    elif precision == "int8-matmul":
        from onnxruntime.quantization import QuantType, quantize_dynamic

        quantize_dynamic(str(source), str(target), op_types_to_quantize=["MatMul"], weight_type=QuantType.QInt8)
    elif precision == "int8-static":
        _quantize_static(source, target, role)
    else:
        raise ModelPackError(f"unknown model precision {precision!r}")


def _quantize_static(source: Path, target: Path, role: str) -> None:
    """Convolutions to INT8 (QDQ, per-channel weights, moving-average min/max ranges)."""
    import onnx
    from onnxruntime.quantization import CalibrationMethod

    from ocr_engine.detect import DetectorParams, detector_scale
    from ocr_engine.preprocess import detector_size, pad_batch, resize_to_height, to_blob
    from ocr_engine.recognize import RecognizerParams

    from . import calibration

    input_name = onnx.load(str(source), load_external_data=False).graph.input[0].name

    def det_input(page):  # sized as the detector sizes a page
        import cv2

        params = DetectorParams()
        scale = detector_scale(*page.shape[:2], params.min_side, params.max_side)
        height, width = detector_size(*page.shape[:2], scale)
        return to_blob(cv2.resize(page, (width, height)))

    def rec_input(line):  # padded as the recogniser pads a strip
        params = RecognizerParams()
        strip = resize_to_height(line, params.height)
        return pad_batch([strip], params.padded_width(strip.shape[1]))

    images, to_input = {
        "det": (calibration.pages, det_input),
        "rec": (calibration.lines, rec_input),
    }[role]
    feeds = ({input_name: to_input(image)} for image in images(CALIBRATION_IMAGES[role]))
    quantize_convolutions(source, target, feeds, CalibrationMethod.MinMax, {"CalibMovingAverage": True})


def quantize_convolutions(source: Path, target: Path, feeds: Iterator[dict], method, options: dict,
                          float_nodes: Sequence[str] = ()) -> None:
    """`source`'s convolutions but `float_nodes` in static INT8 (QDQ: INT8 weights per output
    channel, UINT8 activations per tensor), their ranges by `method` (an onnxruntime
    CalibrationMethod, with its `options`) over the model's inputs in `feeds`, to `target`."""
    import onnx
    from onnx import version_converter
    from onnxruntime.quantization import CalibrationDataReader, QuantFormat, QuantType, quantize_static
    from onnxruntime.quantization.shape_inference import quant_pre_process

    class Reader(CalibrationDataReader):
        def get_next(self):
            return next(feeds, None)

    model = onnx.load(str(source))
    target = Path(target).resolve()  # before the calibrator's change of folder below
    with tempfile.TemporaryDirectory() as tmp:
        # per-channel QDQ needs DequantizeLinear's axis (opset 13); PaddleOCR's exports are opset 11
        upgraded, prepared = Path(tmp) / "opset13.onnx", Path(tmp) / "prepared.onnx"
        opset = next(o.version for o in model.opset_import if o.domain in ("", "ai.onnx"))
        onnx.save(version_converter.convert_version(model, 13) if opset < 13 else model, str(upgraded))
        quant_pre_process(str(upgraded), str(prepared), skip_symbolic_shape=True)
        cwd = Path.cwd()
        os.chdir(tmp)  # the calibrator writes its augmented model's tensors into the working folder
        try:
            quantize_static(str(prepared), str(target), Reader(), quant_format=QuantFormat.QDQ,
                            per_channel=True, activation_type=QuantType.QUInt8, weight_type=QuantType.QInt8,
                            op_types_to_quantize=["Conv"], nodes_to_exclude=list(float_nodes),
                            calibrate_method=method, extra_options=options)
        finally:
            os.chdir(cwd)
