"""PDFs that would exhaust memory or time: a form that draws itself, forms nested 22 deep
each drawing the next twice. They are rendered in a child process under limits
(ocr_engine/pdf_render.py): a typed error in seconds, and this process stays small."""

import time

import psutil
import pytest

from ocr_engine import OcrError


def pdf(objects: list[bytes]) -> bytes:
    out, offsets = b"%PDF-1.4\n", []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += f"{number} 0 obj ".encode() + body + b" endobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    out += b"".join(f"{offset:010d} 00000 n \n".encode() for offset in offsets)
    return out + f"trailer <</Size {len(objects) + 1}/Root 1 0 R>>\nstartxref\n{xref}\n%%EOF\n".encode()


def form(resources: bytes, content: bytes) -> bytes:
    return (b"<</Type/XObject/Subtype/Form/BBox[0 0 200 200]/Resources" + resources
            + f"/Length {len(content)}>>stream\n".encode() + content + b"\nendstream")


PAGE_TREE = [b"<</Type/Catalog/Pages 2 0 R>>", b"<</Type/Pages/Kids[3 0 R]/Count 1>>",
             b"<</Type/Page/Parent 2 0 R/MediaBox[0 0 200 200]/Resources<</XObject<</X 5 0 R>>>>/Contents 4 0 R>>",
             b"<</Length 5>>stream\n/X Do\nendstream"]
SELF_DRAWING = pdf(PAGE_TREE + [form(b"<</XObject<</X 5 0 R>>>>", b"/X Do /X Do")])
NESTED = pdf(PAGE_TREE + [form(f"<</XObject<</X {6 + k} 0 R>>>>".encode(), b"/X Do /X Do") for k in range(21)]
             + [form(b"<<>>", b"0 0 10 10 re f")])


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
