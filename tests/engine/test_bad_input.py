"""Bad input gets a typed error with a stable code; the process stays up, nothing is
written to disk, and memory returns to its baseline."""

import gc
import os
import shutil
import subprocess
import sys
import tempfile
import time
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
from testkit.writes import watch_writes
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


def bad_input_rounds(engine, bad_inputs, rounds: int) -> list[int]:
    """`rounds` rounds of every bad input and one good read; the RSS after each."""
    process, sizes = psutil.Process(), []
    for _ in range(rounds):
        for data, error, _ in bad_inputs.values():
            with pytest.raises(error):
                engine.read(data)
        engine.read(SAMPLES / "line.png")  # and the engine still works
        sizes.append(process.memory_info().rss)
    return sizes


def test_bad_input_writes_nothing_and_memory_returns_to_baseline(engine, bad_inputs, tmp_path):
    # only what this process writes counts: other processes share the temp folder (issue 25)
    with watch_writes(tmp_path) as watch:
        warm_up_peak = 0
        for _ in range(5):  # the allocator keeps freed pages for a while: take the warm-up peak
            bad_input_rounds(engine, bad_inputs, 1)
            gc.collect()
            warm_up_peak = max(warm_up_peak, psutil.Process().memory_info().rss)
        bad_input_rounds(engine, bad_inputs, 20)
        gc.collect()
        grown = psutil.Process().memory_info().rss - warm_up_peak
    assert grown < 0.05 * warm_up_peak, f"RSS grew by {grown / 2**20:.1f} MiB over 20 rounds of bad input"
    assert watch.written == []


def test_writes_of_other_processes_to_the_shared_temp_folder_do_not_count(engine, bad_inputs, tmp_path):
    shared = Path(tempfile.gettempdir())
    marker = shared / f"other-writer-{os.getpid()}-{time.monotonic_ns()}"
    writer = subprocess.Popen([sys.executable, "-c", OTHER_WRITER, str(marker)])
    try:
        with watch_writes(tmp_path / "watched") as watch:
            deadline = time.monotonic() + 30
            while not (marker / "seen").exists() and time.monotonic() < deadline:
                bad_input_rounds(engine, bad_inputs, 1)
            bad_input_rounds(engine, bad_inputs, 1)
        assert (marker / "seen").exists(), "the other process never wrote to the shared temp folder"
    finally:
        writer.kill()
        writer.wait()
        shutil.rmtree(marker, ignore_errors=True)
    assert watch.written == []


# Another process on the machine: it makes folders and files in the shared temp folder
OTHER_WRITER = """
import pathlib, sys, time
marker = pathlib.Path(sys.argv[1]); marker.mkdir()
for i in range(100000):
    (marker / f"folder-{i}").mkdir(); (marker / f"folder-{i}" / "file").write_bytes(b"x" * 100)
    if i == 3: (marker / "seen").touch()
    time.sleep(0.01)
"""


def test_what_the_process_itself_writes_is_found(tmp_path):
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    with watch_writes(tmp_path / "watched") as watch:
        tempfile.mkstemp()
        (elsewhere / "note.txt").write_text("written")
        Path("in-the-working-folder").write_bytes(b"x")
        subprocess.run(["sh", "-c", 'echo child > "$TMPDIR/from-a-child"'], check=True)
    found = "\n".join(watch.written)
    assert "note.txt" in found and "in-the-working-folder" in found and "from-a-child" in found
    assert str(watch.temp) in found  # mkstemp's file


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
