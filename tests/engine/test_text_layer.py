"""Born-digital PDF pages read from their own text layer (PDFium, in the renderer's child),
checked against PDFium's own text and against the OCR of the same pages; page selections."""

import subprocess
import sys

import numpy as np
import pypdfium2 as pdfium
import pytest
from PIL import Image, ImageDraw, ImageFont

from ocr_engine.errors import DocumentTooComplex, InvalidParameter
from testkit.born_digital import born_digital_pdf
from tests.engine.test_page_ranges import FONT, renderer_processes

LATIN = ["Invoice 2026-12-06 for office supplies", "Total due: 1,234.56 EUR", "Paid by bank transfer"]
# a ligature, a CJK compatibility ideograph and form, fullwidth letters, a run of spaces
UNICODE = ["ﬁne oﬃce 豈 ︰ ＡＢ 中文 text", "第二行  two spaces", "𠀋 beyond the BMP"]


def pdfium_lines(data: bytes, index: int = 0) -> list[str]:
    """PDFium's own text of the page (get_text_range), line by line: the reference."""
    text = pdfium.PdfDocument(data)[index].get_textpage().get_text_range()
    return [line.strip() for line in text.split("\r\n") if line.strip()]


def scanned(lines: list[str]) -> Image.Image:
    """A scan of the PDF page (612 x 792 points) at 200 dpi, as the engine renders it."""
    page = Image.new("RGB", (1700, 2200), "white")
    font = ImageFont.truetype(FONT, 60)
    for index, line in enumerate(lines):
        ImageDraw.Draw(page).text((160, 220 + index * 160), line, font=font, fill="black")
    return page


def iou(a, b) -> float:
    (ax0, ay0), (ax1, ay1) = np.min(a, axis=0), np.max(a, axis=0)
    (bx0, by0), (bx1, by1) = np.min(b, axis=0), np.max(b, axis=0)
    inter = max(0, min(ax1, bx1) - max(ax0, bx0)) * max(0, min(ay1, by1) - max(ay0, by0))
    return inter / ((ax1 - ax0) * (ay1 - ay0) + (bx1 - bx0) * (by1 - by0) - inter)


@pytest.mark.parametrize("lines, unicode_font", [(LATIN, False), (UNICODE, True)])
def test_a_born_digital_page_has_pdfiums_exact_text_and_source_text(engine, lines, unicode_font):
    data = born_digital_pdf([lines], unicode_font=unicode_font)
    page = engine.read(data).pages[0]
    assert page.source == "text"
    assert [line.text for line in page.lines] == pdfium_lines(data)
    assert all(line.confidence == 1.0 and len(line.box) == 4 for line in page.lines)


def test_pdfium_expands_ligatures_unifies_compatibility_ideographs_and_collapses_spaces(engine):
    """What "exact" means, pinned: the text is PDFium's, and PDFium reads these so."""
    page = engine.read(born_digital_pdf([UNICODE], unicode_font=True)).pages[0]
    assert page.lines[0].text == "fine office \u8c48 \ufe30 ＡＢ 中文 text"
    assert page.lines[1].text == "第二行 two spaces"
    assert page.lines[2].text == "\U0002000b beyond the BMP"


def test_text_layer_lines_match_the_ocr_of_the_same_page_in_order_shape_and_size(engine):
    data = born_digital_pdf([LATIN])
    text, ocr = engine.read(data).pages[0], engine.read(data, text_layer="ignore").pages[0]
    assert (text.source, ocr.source) == ("text", "ocr")
    assert (text.width, text.height) == (ocr.width, ocr.height)
    assert [line.text for line in ocr.lines] == [line.text for line in text.lines]
    assert all(iou(t.box, o.box) >= 0.7 for t, o in zip(text.lines, ocr.lines))


def test_text_layer_words_are_the_line_cut_at_spaces_and_chinese_characters(engine):
    page = engine.read(born_digital_pdf([["Total due: 1,234.56 EUR", "中文 样本 text"]], unicode_font=True)).pages[0]
    assert [[word.text for word in line.words] for line in page.lines] == [
        ["Total", "due:", "1,234.56", "EUR"], ["中", "文", "样", "本", "text"]]
    for line in page.lines:  # each word inside its line, left to right
        (x0, y0), (x1, y1) = np.min(line.box, axis=0), np.max(line.box, axis=0)
        lefts = [word.box[0][0] for word in line.words]
        assert lefts == sorted(lefts) and all(
            x0 <= wx and wx <= x1 and y0 <= wy <= y1 for word in line.words for wx, wy in word.box)


def test_text_layer_word_boxes_are_where_the_ocr_finds_the_same_words(engine):
    data = born_digital_pdf([LATIN])
    text, ocr = engine.read(data).pages[0], engine.read(data, text_layer="ignore").pages[0]
    text_words = [word for line in text.lines for word in line.words]
    ocr_words = {word.text: word.box for line in ocr.lines for word in line.words}
    matched = [iou(word.box, ocr_words[word.text]) >= 0.5 for word in text_words if word.text in ocr_words]
    assert len(matched) >= 0.8 * len(text_words) and all(matched), (text_words, ocr_words)


def test_a_page_without_text_is_ocred_and_each_page_says_where_its_text_came_from(engine):
    data = born_digital_pdf([LATIN, []], scans=[None, scanned(["Scanned page 42"])])
    pages = engine.read(data).pages
    assert [p.source for p in pages] == ["text", "ocr"]
    assert pages[1].text == "Scanned page 42"


def test_only_reads_no_page_by_ocr_and_a_page_without_text_comes_back_empty(engine):
    data = born_digital_pdf([LATIN, []], scans=[None, scanned(["Scanned page 42"])])
    pages = engine.read(data, text_layer="only").pages
    assert [(p.source, len(p.lines)) for p in pages] == [("text", 3), ("text", 0)]


def test_ignore_ocrs_every_page(engine):
    pages = engine.read(born_digital_pdf([LATIN]), text_layer="ignore").pages
    assert [p.source for p in pages] == ["ocr"] and pages[0].lines


def test_a_scan_under_an_invisible_ocr_layer_is_read_from_the_layer(engine):
    layer = ["Layer text differs from the scan"]
    data = born_digital_pdf([layer], invisible=True, scans=[scanned(["Scanned page 42"])])
    assert [(p.source, p.text) for p in engine.read(data).pages] == [("text", layer[0])]
    assert [(p.source, p.text) for p in engine.read(data, text_layer="ignore").pages] == [("ocr", "Scanned page 42")]


def test_a_scan_with_a_few_typed_words_on_it_is_ocred_in_auto(engine):
    data = born_digital_pdf([["Approved"]], scans=[scanned(["", "", "", "", "", "Scanned page 42"])])
    page = engine.read(data).pages[0]
    assert page.source == "ocr" and "Scanned page 42" in page.text


def test_a_text_layer_of_unmapped_glyphs_is_garbage_and_ocred(engine):
    garbage = ["\ue001\ue002\ue003\ue004\ue005\ue006"]  # what a font without a Unicode map yields
    data = born_digital_pdf([garbage], unicode_font=True, scans=[None])
    assert engine.read(data).pages[0].source == "ocr"


def test_a_page_of_too_many_characters_is_too_complex_and_leaves_no_process(engine):
    data = born_digital_pdf([["x" * 5000] * 50])  # 250,000 characters
    with pytest.raises(DocumentTooComplex, match="characters of text"):
        engine.read(data)
    assert not renderer_processes()


def test_the_text_is_read_in_the_sandboxed_child_never_in_the_engines_process(tmp_path):
    pdf = tmp_path / "born.pdf"
    pdf.write_bytes(born_digital_pdf([LATIN]))
    script = ("import sys; from ocr_engine import OcrEngine, Settings; "
              f"r = OcrEngine(settings=Settings.from_env(threads=1)).read({str(pdf)!r}); "
              "print(r.pages[0].source, 'pypdfium2' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120, check=True)
    assert out.stdout.split() == ["text", "False"]


# --- page selections --------------------------------------------------------------------


def test_a_selection_reads_those_pages_with_their_document_numbers(engine):
    data = born_digital_pdf([[f"Page number {n}"] for n in range(1, 7)])
    result = engine.read(data, page_range="5,1-2,2")
    assert [(p.number, p.text) for p in result.pages] == [(n, f"Page number {n}") for n in (1, 2, 5)]


@pytest.mark.parametrize("spec", ["", "a", "0", "3-1", "1-", "1,,2", "-2", "1.5"])
def test_a_malformed_selection_is_an_invalid_parameter(engine, spec):
    with pytest.raises(InvalidParameter, match="pages"):
        engine.read(born_digital_pdf([["one"]]), page_range=spec)


def test_a_selection_beyond_the_document_says_how_many_pages_it_has(engine):
    with pytest.raises(InvalidParameter, match="pages 2-3 are not within the document's 2 pages"):
        engine.read(born_digital_pdf([["one"], ["two"]]), page_range="1,2-3")
    assert not renderer_processes()
