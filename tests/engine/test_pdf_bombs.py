"""PDFs that would exhaust memory or time: a form that draws itself, forms nested 22 deep
each drawing the next twice. They are rendered in a child process under limits
(ocr_engine/pdf_render.py): a typed error in seconds, and this process stays small."""

import time

import psutil
import pytest

from ocr_engine import OcrError
from testkit.hostile.pdfs import NESTED, SELF_DRAWING


@pytest.mark.parametrize("bomb", [SELF_DRAWING, NESTED], ids=["self-drawing form", "forms nested 22 deep"])
def test_a_pdf_bomb_is_a_typed_error_in_seconds_and_this_process_stays_small(engine, bomb):
    rss_before = psutil.Process().memory_info().rss
    started = time.monotonic()
    with pytest.raises(OcrError) as raised:
        engine.read(bomb)
    assert raised.value.code == "document_too_complex" and "page 1" in raised.value.message
    assert time.monotonic() - started < 40  # the memory limit, or at worst the page timeout
    assert psutil.Process().memory_info().rss - rss_before < 200 * 2**20
    renderers = [c for c in psutil.Process().children() if any("pdf_child" in part for part in c.cmdline())]
    assert not renderers, "the renderer process was left behind"
