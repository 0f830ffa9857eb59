"""The searchable PDF: the engine's real reading of Chinese and English pages, laid as
invisible text over the source, read back with PDFium (what a viewer selects and searches)
and drawn by two PDF engines (PDFium and poppler's pdftoppm) to show the page unchanged."""

import ctypes
import io
import re
import runpy

import numpy as np
import pikepdf
import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c
import pytest
from PIL import Image, ImageOps

from ocr_engine import Line, OcrResult, Page
from ocr_engine.formats.pdf import FONT_FILE, render_pdf
from tests.conftest import ROOT, encode
from tests.formats.conftest import LINES, draw_lines, render_with_pdfium, render_with_poppler, scan_pdf


def squeeze(text: str) -> str:
    return re.sub(r"\s+", "", text)


def page_text(data: bytes, index: int = 0) -> str:
    return pdfium.PdfDocument(data)[index].get_textpage().get_text_range()


def text_in_box(data: bytes, index: int, page: Page, box: list[list[int]], margin: int = 3) -> str:
    """The text PDFium finds inside `box` (engine pixels of `page`, mapped to the PDF page by
    PDFium itself, as it maps a page onto the bitmap it renders)."""
    pdf_page = pdfium.PdfDocument(data)[index]
    xs, ys = [p[0] for p in box], [p[1] for p in box]
    corners = [device_to_page(pdf_page, page, x, y) for x in (min(xs) - margin, max(xs) + margin)
               for y in (min(ys) - margin, max(ys) + margin)]
    left, right = min(c[0] for c in corners), max(c[0] for c in corners)
    bottom, top = min(c[1] for c in corners), max(c[1] for c in corners)
    return pdf_page.get_textpage().get_text_bounded(left, bottom, right, top)


def device_to_page(pdf_page, page: Page, x: float, y: float) -> tuple[float, float]:
    page_x, page_y = ctypes.c_double(), ctypes.c_double()
    assert pdfium_c.FPDF_DeviceToPage(pdf_page.raw, 0, 0, page.width, page.height, 0, int(round(x)), int(round(y)),
                                      ctypes.byref(page_x), ctypes.byref(page_y))
    return page_x.value, page_y.value


def images_in(pdf: pikepdf.Pdf) -> list[pikepdf.Stream]:
    return [obj for obj in pdf.objects if isinstance(obj, pikepdf.Stream) and obj.get("/Subtype") == "/Image"]


def assert_every_line_is_selectable_where_it_is_seen(searchable: bytes, result: OcrResult) -> None:
    for index, page in enumerate(result.pages):
        found = squeeze(page_text(searchable, index))  # PDFium orders turned lines its own way
        assert all(squeeze(line.text) in found for line in page.lines)
        assert len(found) == len(squeeze("".join(line.text for line in page.lines)))
        for line in page.lines:
            assert squeeze(text_in_box(searchable, index, page, line.box)) == squeeze(line.text), line


# --- a scanned PDF ----------------------------------------------------------------------------


@pytest.mark.parametrize("rotate", [0, 90, 180, 270])
@pytest.mark.parametrize("inherited", [False, True], ids=["on the page", "inherited from the page tree"])
def test_a_scanned_pdf_gets_its_chinese_and_english_lines_as_text_where_they_are_seen(engine, tmp_path, rotate,
                                                                                       inherited):
    image = draw_lines(LINES)
    width, height = image.width * 72 / 200, image.height * 72 / 200  # a 200-dpi scan, as the page is shown
    if rotate % 180:
        width, height = height, width  # unturned, the page lies the other way
    # a CropBox inside an offset MediaBox: what the viewer shows starts nowhere near 0,0
    crop = (10, 80, 10 + width, 80 + height)
    source = scan_pdf(image, media_box=(-30, 50, crop[2] + 25, crop[3] + 35), crop_box=crop, rotate=rotate,
                      inherited=inherited)
    result = engine.read(source)
    assert len(result.lines) == 3 and "Invoice" in result.text and "扫描" in result.text  # the engine read it
    searchable = render_pdf(result, source)
    assert_every_line_is_selectable_where_it_is_seen(searchable, result)
    before, after = render_with_poppler(source, tmp_path, "before"), render_with_poppler(searchable, tmp_path, "after")
    assert len(before) == len(after) == 1 and np.array_equal(before[0], after[0])  # the text layer draws nothing


def test_a_page_is_read_back_in_the_engines_reading_order(engine):
    source = scan_pdf(draw_lines(LINES))
    result = engine.read(source)
    extracted = page_text(render_pdf(result, source)).split("\r\n")
    assert [squeeze(t) for t in extracted] == [squeeze(line.text) for line in result.lines]


def test_the_original_page_content_is_kept_byte_for_byte(engine):
    source = scan_pdf(draw_lines(LINES[:1]))
    original = pikepdf.open(io.BytesIO(source))  # a Pdf must outlive the objects read from it
    old_content = original.pages[0].obj.Contents.read_bytes()
    searchable = pikepdf.open(io.BytesIO(render_pdf(engine.read(source), source)))
    streams = [s.read_bytes() for s in searchable.pages[0].obj.Contents]
    assert old_content in streams
    assert streams[0].strip() == b"q" and streams[-1].startswith(b"Q")  # whatever state it leaves cannot move the text
    assert b"3 Tr" in streams[-1]  # invisible: neither filled nor stroked


def test_only_the_pages_of_the_result_get_text_so_a_page_range_can_be_rendered(engine):
    page = draw_lines(LINES[:1])
    source = encode(page, "PDF", save_all=True, append_images=[draw_lines(LINES[1:2]), draw_lines(LINES[2:])])
    result = engine.read(source)
    second = OcrResult([result.pages[1]], is_document=True)
    searchable = render_pdf(second, source)
    assert [squeeze(page_text(searchable, i)) for i in range(3)] == ["", squeeze(result.pages[1].text), ""]


def test_a_result_with_pages_the_source_lacks_is_refused(receipt):
    data, result = receipt
    with pytest.raises(ValueError, match="pages"):
        render_pdf(OcrResult([Page(2, 620, 408, [])]), data)


# --- images -----------------------------------------------------------------------------------


def test_a_png_becomes_a_page_that_draws_the_pixels_the_engine_read_with_the_text_over_them(receipt, tmp_path):
    data, result = receipt
    searchable = render_pdf(result, data)
    image = np.asarray(Image.open(io.BytesIO(data)).convert("RGB"))
    (page,) = result.pages
    assert np.array_equal(render_with_pdfium(searchable, 0, page.width, page.height), image)  # lossless, same place
    assert_every_line_is_selectable_where_it_is_seen(searchable, result)
    assert "小店收据 Corner Shop Receipt" in page_text(searchable)
    blank = render_pdf(OcrResult([Page(1, page.width, page.height, [])]), data)  # the same page, no text
    assert np.array_equal(render_with_poppler(blank, tmp_path, "blank")[0],
                          render_with_poppler(searchable, tmp_path, "searchable")[0])


def test_an_image_page_measures_the_image_at_its_stated_resolution(receipt):
    data, result = receipt
    at_300 = encode(Image.open(io.BytesIO(data)), "PNG", dpi=(300, 300))
    width_pt, height_pt = pdfium.PdfDocument(render_pdf(result, at_300))[0].get_size()
    assert (width_pt, height_pt) == pytest.approx((620 * 72 / 300, 408 * 72 / 300), abs=0.01)
    width_pt, _ = pdfium.PdfDocument(render_pdf(result, data))[0].get_size()  # none stated: 96 dpi
    assert width_pt == pytest.approx(620 * 72 / 96, abs=0.01)


@pytest.mark.parametrize("orientation", range(1, 9))
def test_a_jpeg_goes_in_as_it_is_turned_as_its_exif_orientation_says(engine, orientation):
    exif = Image.Exif()
    exif[0x0112] = orientation
    jpeg = encode(draw_lines(LINES[:2], size=(900, 300)), "JPEG", quality=92, exif=exif)
    upright = ImageOps.exif_transpose(Image.open(io.BytesIO(jpeg))).convert("RGB")  # what a viewer shows
    result = engine.read(jpeg)
    (page,) = result.pages
    assert (page.width, page.height) == upright.size
    searchable = render_pdf(result, jpeg)
    pdf = pikepdf.open(io.BytesIO(searchable))
    (image,) = images_in(pdf)
    assert image.Filter == "/DCTDecode" and image.read_raw_bytes() == jpeg  # not decoded, not re-encoded
    drawn = render_with_pdfium(searchable, 0, page.width, page.height).astype(int)
    assert np.abs(drawn - np.asarray(upright).astype(int)).mean() < 1.5  # two JPEG decoders, the same picture
    if result.lines:  # a mirrored page reads as nonsense, but where it reads, the text is in place
        assert_every_line_is_selectable_where_it_is_seen(searchable, result)
    if orientation in (1, 3, 6, 8):  # turned, not mirrored: the text itself is found
        assert "Scanned" in page_text(searchable) and "第二行" in page_text(searchable)


def test_a_multipage_tiff_gives_one_page_each_with_its_own_text(engine):
    first, second = draw_lines(LINES[:1], size=(900, 140)), draw_lines(LINES[2:], size=(900, 140))
    tiff = encode(first, "TIFF", save_all=True, append_images=[second], compression="tiff_lzw")
    result = engine.read(tiff)
    searchable = render_pdf(result, tiff)
    assert len(pdfium.PdfDocument(searchable)) == 2
    assert_every_line_is_selectable_where_it_is_seen(searchable, result)
    assert "Scanned" in page_text(searchable, 0) and "Invoice" in page_text(searchable, 1)
    for index, frame in enumerate((first, second)):
        assert np.array_equal(render_with_pdfium(searchable, index, *frame.size), np.asarray(frame))


def test_a_bilevel_scan_stays_one_bit_deep(engine):
    bilevel = draw_lines(LINES, size=(900, 420)).convert("L").point(lambda v: 255 if v > 128 else 0).convert("1")
    data = encode(bilevel, "PNG")
    searchable = render_pdf(engine.read(data), data)
    pdf = pikepdf.open(io.BytesIO(searchable))
    (image,) = images_in(pdf)
    assert image.BitsPerComponent == 1 and image.ColorSpace == "/DeviceGray"
    drawn = render_with_pdfium(searchable, 0, *bilevel.size)
    assert np.array_equal(drawn[..., 0] > 128, np.asarray(bilevel))


# --- the text layer's font ----------------------------------------------------------------------


def test_any_character_comes_back_as_itself_beyond_the_bmp_and_markup_too():
    blank = encode(Image.new("RGB", (800, 200), "white"), "PNG")
    text = "𠀀𪚥 <a&b> \"q\" ＡＢ 中文"  # CJK Extension B (surrogate pairs in UTF-16), markup, fullwidth
    line = Line(text, 0.9, [[20, 40], [780, 40], [780, 120], [20, 120]])
    searchable = render_pdf(OcrResult([Page(1, 800, 200, [line])]), blank)
    assert page_text(searchable) == text


def test_the_font_is_embedded_glyphless_and_declares_its_widths():
    blank = encode(Image.new("RGB", (400, 100), "white"), "PNG")
    line = Line("中a", 0.9, [[10, 10], [390, 10], [390, 90], [10, 90]])
    pdf = pikepdf.open(io.BytesIO(render_pdf(OcrResult([Page(1, 400, 100, [line])]), blank)))
    (font,) = [f for f in pdf.pages[0].Resources.Font.values()]
    assert font.Subtype == "/Type0" and font.Encoding == "/Identity-H"
    (cid_font,) = font.DescendantFonts
    assert cid_font.Subtype == "/CIDFontType2"
    assert cid_font.FontDescriptor.FontFile2.read_bytes() == FONT_FILE.read_bytes()
    # codes in character order ("a" before "中"): a Latin letter half an em, a Chinese character one
    assert cid_font.W[0] == 1 and [int(v) for v in cid_font.W[1]] == [500, 1000]


def test_the_glyphless_font_is_what_its_script_builds_and_paints_nothing():
    from fontTools.pens.areaPen import AreaPen
    from fontTools.ttLib import TTFont

    script = runpy.run_path(str(ROOT / "scripts" / "make_glyphless_font.py"))
    assert script["build_font"]() == FONT_FILE.read_bytes()  # reproducible, and the committed file is current
    font = TTFont(io.BytesIO(FONT_FILE.read_bytes()))
    assert font.getGlyphOrder() == [".notdef", "blank", "wide"]
    glyphs = font.getGlyphSet()
    for name in font.getGlyphOrder():
        area = AreaPen(glyphs)
        glyphs[name].draw(area)
        assert area.value == 0, name
    assert [font["hmtx"][name][0] for name in ("blank", "wide")] == [500, 1000]


def test_turned_text_is_found_on_a_turned_page_even_a_short_line(engine):
    """PDFium finds no turned text whose glyphs have no box (the font's diagonals are why)."""
    source = scan_pdf(draw_lines(LINES[:1], size=(900, 140)), media_box=(0, 0, 140 * 0.36, 900 * 0.36), rotate=90)
    short = Line("abc", 0.9, [[40, 40], [140, 40], [140, 90], [40, 90]])
    searchable = render_pdf(OcrResult([Page(1, 900, 140, [short])]), source)
    assert page_text(searchable) == "abc"


def test_a_pdf_pikepdf_cannot_open_is_an_invalid_document(receipt):
    from ocr_engine.errors import InvalidDocument

    _, result = receipt
    with pytest.raises(InvalidDocument):
        render_pdf(result, b"%PDF-1.4\n" + b"\x00garbage" * 10)


def test_the_samples_receipt_is_findable_by_a_search_for_chinese_and_english(receipt):
    data, result = receipt
    textpage = pdfium.PdfDocument(render_pdf(result, data))[0].get_textpage()
    for needle in ("合计", "Total", "谢谢惠顾", "Milk"):
        searcher = textpage.search(needle)
        assert searcher.get_next() is not None, needle


def test_an_encrypted_pdf_stays_encrypted_with_its_permissions(engine):
    plain = pikepdf.open(io.BytesIO(scan_pdf(draw_lines(LINES), media_box=(0, 0, 900 * 0.36, 420 * 0.36))))
    encrypted = io.BytesIO()
    plain.save(encrypted, encryption=pikepdf.Encryption(owner="owner secret", user="",
                                                        allow=pikepdf.Permissions(modify_other=False)))
    source = encrypted.getvalue()
    result = engine.read(source)  # no user password: anyone may open and read it
    searchable = pikepdf.open(io.BytesIO(render_pdf(result, source)))
    assert searchable.is_encrypted and not searchable.allow.modify_other
    assert squeeze(page_text(render_pdf(result, source))) == squeeze("".join(line.text for line in result.lines))


def test_a_born_digital_page_is_left_untouched_and_only_the_ocred_page_gains_a_layer(engine):
    """A document of a born-digital page and a scanned one: each text is in it once."""
    from testkit.born_digital import born_digital_pdf

    born = ["Invoice 2026-12-06 for office supplies", "Total due: 1,234.56 EUR"]
    source = born_digital_pdf([born, []], scans=[None, draw_lines(LINES, size=(1700, 2200), font_size=70)])
    result = engine.read(source)
    assert [page.source for page in result.pages] == ["text", "ocr"]
    searchable = render_pdf(result, source)
    before, after = pikepdf.open(io.BytesIO(source)), pikepdf.open(io.BytesIO(searchable))
    assert after.pages[0].Contents.read_bytes() == before.pages[0].Contents.read_bytes()
    assert "/Font" in after.pages[0].Resources and list(after.pages[0].Resources.Font.keys()) == ["/F1"]
    document = pdfium.PdfDocument(searchable)
    texts = [document[i].get_textpage().get_text_range() for i in range(2)]
    assert texts[0].split("\r\n") == born
    assert texts[1].split("\r\n") == [line.text for line in result.pages[1].lines] and texts[1]


def test_each_character_is_selected_inside_its_words_box(engine):
    """A viewer's selection follows the glyphs: each character PDFium finds has the middle
    of its box inside the box of the word it belongs to (a Chinese character's own), not
    at a share of the line."""
    source = scan_pdf(draw_lines(LINES))
    result = engine.read(source)
    searchable = render_pdf(result, source)
    (page,) = result.pages
    words = [word for line in result.lines for word in line.words]
    assert len(words) > len(result.lines) * 3
    owners = [word for word in words for _ in word.text]  # the word of each character, in order
    pdf_page = pdfium.PdfDocument(searchable)[0]
    text_page = pdf_page.get_textpage()
    chars = [(text_page.get_text_range(i, 1), text_page.get_charbox(i)) for i in range(text_page.count_chars())]
    chars = [(char, box) for char, box in chars if char.strip()]
    assert "".join(char for char, _ in chars) == "".join(word.text for word in words)
    inside = 0
    for (char, (left, bottom, right, top)), word in zip(chars, owners):
        xs, ys = [p[0] for p in word.box], [p[1] for p in word.box]
        corners = [device_to_page(pdf_page, page, x, y) for x in (min(xs), max(xs)) for y in (min(ys), max(ys))]
        middle = ((left + right) / 2, (bottom + top) / 2)
        inside += (min(c[0] for c in corners) <= middle[0] <= max(c[0] for c in corners)
                   and min(c[1] for c in corners) <= middle[1] <= max(c[1] for c in corners))
    assert inside == len(chars), [(c, b, w.text, w.box) for (c, b), w in zip(chars, owners)]
    assert page_text(searchable).split("\r\n") == [line.text for line in result.lines]  # spaces kept, none added
