"""Bad input gets a typed error with a stable code; the process stays up, nothing is
written to disk, and memory returns to its baseline."""

import gc
import os
import tempfile
from pathlib import Path

import numpy as np
import psutil
import pytest
from PIL import Image

from ocr_engine import (
    EmptyInput,
    EncryptedDocument,
    ImageTooLarge,
    ImageTooSmall,
    InvalidImage,
    InvalidParameter,
    OcrError,
    TooManyPages,
    UnsupportedMediaType,
)
from testkit.hostile.blocks import encrypted_pdf, pdf_with_pages, png_claiming
from tests.conftest import EVAL, SAMPLES, encode


def truncated_jpeg() -> bytes:
    data = (EVAL / "pages" / "sroie_000.jpg").read_bytes()
    return data[: len(data) // 3]


def animated_gif() -> bytes:
    frames = [Image.new("L", (64, 32), shade) for shade in (0, 128, 255)]
    return encode(frames[0], "GIF", save_all=True, append_images=frames[1:], duration=100, loop=0)


BAD_INPUTS = {
    "empty bytes": (lambda: b"", EmptyInput, "empty_input"),
    "truncated JPEG": (truncated_jpeg, InvalidImage, "invalid_image"),
    "text file named .png": (lambda: b"hello, this is not an image\n" * 20, UnsupportedMediaType,
                             "unsupported_media_type"),
    "text file starting with BM": (lambda: b"BMW 320i, 2019, 45000 km\n" * 20, UnsupportedMediaType,
                                   "unsupported_media_type"),
    "1x1 image": (lambda: encode(Image.new("RGB", (1, 1), "white")), ImageTooSmall, "image_too_small"),
    "PNG claiming 50000x50000": (lambda: png_claiming(50_000, 50_000), ImageTooLarge, "image_too_large"),
    "100000x20 image": (lambda: encode(Image.new("L", (100_000, 20), 255)), ImageTooLarge, "image_too_large"),
    "animated GIF": (animated_gif, UnsupportedMediaType, "unsupported_media_type"),
    "PDF of 10000 pages": (lambda: pdf_with_pages(10_000), TooManyPages, "too_many_pages"),
    "encrypted PDF": (encrypted_pdf, EncryptedDocument, "encrypted_document"),
    "PDF header then garbage": (lambda: b"%PDF-1.7\n" + os.urandom(2000), OcrError, "invalid_document"),
}


@pytest.fixture(scope="module")
def bad_inputs() -> dict[str, tuple[bytes, type, str]]:
    return {name: (make(), error, code) for name, (make, error, code) in BAD_INPUTS.items()}


@pytest.mark.parametrize("name", list(BAD_INPUTS))
def test_bad_input_gets_a_typed_error_with_a_stable_code(engine, bad_inputs, name):
    data, error, code = bad_inputs[name]
    with pytest.raises(error) as raised:
        engine.read(data)
    assert raised.value.code == code
    assert raised.value.message and "Traceback" not in raised.value.message


def test_a_decompression_bomb_is_refused_from_its_header_without_allocating_it(engine):
    before = psutil.Process().memory_info().rss
    with pytest.raises(ImageTooLarge):
        engine.read(png_claiming(50_000, 50_000))
    # decoding would need 2.5 GB for one 8-bit plane
    assert psutil.Process().memory_info().rss - before < 50 * 1024 * 1024


def test_a_missing_file_is_a_typed_error(engine, tmp_path):
    with pytest.raises(InvalidParameter):
        engine.read(tmp_path / "nope.png")


def test_an_unknown_mode_is_an_invalid_parameter(engine):
    with pytest.raises(InvalidParameter) as raised:
        engine.read(SAMPLES / "line.png", mode="sideways")
    assert raised.value.code == "invalid_parameter"


def test_bad_arrays_are_typed_errors(engine):
    with pytest.raises(InvalidImage):
        engine.read(np.zeros((10, 10, 2), np.uint8))
    with pytest.raises(ImageTooSmall):
        engine.read(np.zeros((0, 10), np.uint8))


def test_bad_input_writes_nothing_and_memory_returns_to_baseline(engine, bad_inputs):
    temp_before = set(os.listdir(tempfile.gettempdir()))
    cwd_before = set(os.listdir(Path.cwd()))

    def one_round():
        for data, error, _ in bad_inputs.values():
            with pytest.raises(error):
                engine.read(data)
        engine.read(SAMPLES / "line.png")  # and the engine still works

    process = psutil.Process()
    warm_up_peak = 0
    for _ in range(5):  # the allocator keeps freed pages for a while: take the warm-up peak
        one_round()
        gc.collect()
        warm_up_peak = max(warm_up_peak, process.memory_info().rss)
    for _ in range(20):
        one_round()
    gc.collect()
    grown = process.memory_info().rss - warm_up_peak
    assert grown < 0.05 * warm_up_peak, f"RSS grew by {grown / 2**20:.1f} MiB over 20 rounds of bad input"
    assert set(os.listdir(tempfile.gettempdir())) == temp_before
    assert set(os.listdir(Path.cwd())) == cwd_before


def test_memory_returns_to_baseline_after_page_reads(engine):
    process = psutil.Process()
    engine.read(SAMPLES / "line.png", mode="line")
    gc.collect()
    baseline = process.memory_info().rss
    for name in ("sroie_079.jpg", "sroie_352.jpg", "sroie_608.jpg"):
        engine.read(EVAL / "pages" / name, mode="page")
    gc.collect()
    grown = process.memory_info().rss - baseline
    # the detector needs a few hundred MiB for a receipt; it must be handed back
    assert grown < 40 * 2**20, f"RSS stayed {grown / 2**20:.0f} MiB above its baseline"


def test_a_jpeg_of_thousands_of_scans_is_refused_before_decoding(engine):
    import time

    progressive = encode(Image.new("L", (64, 64), 255), "JPEG", progressive=True)
    first_scan = progressive.index(b"\xff\xda")
    # repeat the last scan until the file holds 5,000: a decoder would make 5,000 passes
    last_scan = progressive.rindex(b"\xff\xda")
    bomb = progressive[:last_scan] + progressive[last_scan:-2] * 5000 + b"\xff\xd9"
    assert first_scan < last_scan and bomb.count(b"\xff\xda") > 5000
    started = time.monotonic()
    with pytest.raises(InvalidImage, match="scans"):
        engine.read(bomb)
    assert time.monotonic() - started < 1
    assert engine.read(progressive, mode="line") is not None  # an ordinary progressive JPEG still reads
