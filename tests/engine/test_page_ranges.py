"""Reading part of a document (what a fanned-out worker does with its range of pages)."""

import io

import psutil
import pytest
from PIL import Image, ImageDraw, ImageFont

from ocr_engine.errors import InvalidParameter, TooManyPages

FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"


def renderer_processes() -> list[psutil.Process]:
    """This process's PDF renderers (other children, such as a test server, are not ours)."""
    return [child for child in psutil.Process().children() if any("pdf_child" in part for part in child.cmdline())]


def numbered_pages(count: int) -> list[Image.Image]:
    font = ImageFont.truetype(FONT, 40)
    pages = []
    for number in range(1, count + 1):
        page = Image.new("RGB", (640, 240), "white")
        ImageDraw.Draw(page).text((40, 90), f"Page number {number}", font=font, fill="black")
        pages.append(page)
    return pages


def document(fmt: str, count: int) -> bytes:
    first, *rest = numbered_pages(count)
    buffer = io.BytesIO()
    first.save(buffer, format=fmt, save_all=True, append_images=rest)
    return buffer.getvalue()


@pytest.mark.parametrize("fmt", ["PDF", "TIFF"])
def test_a_page_range_reads_those_pages_numbered_as_in_the_document(engine, fmt):
    data = document(fmt, 6)
    result = engine.read(data, page_range=(3, 5))
    assert [(page.number, page.text) for page in result.pages] == [(n, f"Page number {n}") for n in (3, 4, 5)]
    assert result.is_document


@pytest.mark.parametrize("fmt", ["PDF", "TIFF"])
def test_too_many_pages_says_how_many_and_leaves_no_renderer_process_behind(engine, fmt):
    """The drop folder fans a long document out on this count, without opening it again."""
    with pytest.raises(TooManyPages) as refused:
        engine.read(document(fmt, 6), max_pages=5)
    assert refused.value.pages == 6
    assert not renderer_processes()


@pytest.mark.parametrize("page_range", [(0, 2), (3, 2), (2, 7)])
def test_a_range_outside_the_document_is_an_invalid_parameter(engine, page_range):
    with pytest.raises(InvalidParameter, match="not within the document's 6 pages"):
        engine.read(document("PDF", 6), page_range=page_range)
    assert not renderer_processes()


def test_the_page_limit_is_the_documents_not_the_ranges(engine):
    data = document("PDF", 6)
    with pytest.raises(TooManyPages):
        engine.read(data, page_range=(1, 2), max_pages=5)
    assert [p.number for p in engine.read(data, page_range=(6, 6), max_pages=6).pages] == [6]
