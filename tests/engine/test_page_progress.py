"""The engine tells its caller how far a read has got, page by page (`on_page`): the CLI
draws its progress from it; the engine draws nothing and imports no progress bar."""

import subprocess
import sys

from PIL import Image, ImageDraw

from tests.conftest import ROOT, SAMPLES, encode


def three_page_tiff() -> bytes:
    pages = []
    for number in range(1, 4):
        page = Image.new("L", (360, 120), 255)
        ImageDraw.Draw(page).text((20, 50), f"Page {number} of three", fill=0)
        pages.append(page)
    return encode(pages[0], "TIFF", save_all=True, append_images=pages[1:])


def test_on_page_is_told_each_page_of_a_document_as_it_is_read(engine):
    calls = []
    result = engine.read(three_page_tiff(), mode="page", on_page=lambda done, count: calls.append((done, count)))
    assert len(result.pages) == 3
    assert calls == [(0, 3), (1, 3), (2, 3), (3, 3)]


def test_on_page_counts_only_the_pages_asked_for(engine):
    calls = []
    engine.read(three_page_tiff(), mode="page", page_range="2-3", on_page=lambda d, c: calls.append((d, c)))
    assert calls == [(0, 2), (1, 2), (2, 2)]


def test_an_image_is_one_page(engine):
    calls = []
    engine.read(SAMPLES / "line.png", on_page=lambda d, c: calls.append((d, c)))
    assert calls == [(0, 1), (1, 1)]


def test_reading_with_progress_does_not_import_a_progress_bar():
    code = ("import sys; from ocr_engine import OcrEngine; e = OcrEngine(); "
            "e.read(sys.argv[1], on_page=lambda d, c: None); print('tqdm' in sys.modules)")
    done = subprocess.run([sys.executable, "-c", code, str(SAMPLES / "line.png")], capture_output=True, text=True,
                          cwd=ROOT, timeout=300)
    assert done.stdout.strip() == "False", done.stderr
