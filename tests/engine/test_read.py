"""The engine on images we drew ourselves (samples/) and on eval pages."""

import sys
import unicodedata

import numpy as np
import pytest
from PIL import Image

from ocr_engine import OcrResult
from tests.conftest import EVAL, SAMPLES, encode

sys.path.insert(0, str(SAMPLES))
from make_samples import RECEIPT  # noqa: E402  (the texts the sample was drawn from)


def norm(text: str) -> str:
    return "".join(unicodedata.normalize("NFKC", text).casefold().split())


def test_page_mode_reads_every_line_of_the_sample_receipt_in_order(engine):
    result = engine.read(SAMPLES / "receipt.png", mode="page")
    assert [norm(line.text) for line in result.lines] == [norm(text) for text, _ in RECEIPT]


def test_line_mode_reads_a_mixed_chinese_english_line(engine):
    result = engine.read(SAMPLES / "line.png", mode="line")
    assert norm(result.text) == norm("光学字符识别 OCR 2026")


def test_auto_mode_reads_a_line_image_as_one_line_covering_the_image(engine):
    width, height = Image.open(SAMPLES / "line.png").size
    result = engine.read(SAMPLES / "line.png")
    assert len(result.lines) == 1
    assert result.lines[0].box == [[0, 0], [width - 1, 0], [width - 1, height - 1], [0, height - 1]]


def test_auto_mode_reads_a_page_as_several_lines(engine):
    assert len(engine.read(SAMPLES / "receipt.png").lines) == len(RECEIPT)


def test_lines_carry_a_confidence_and_a_clockwise_box_inside_the_image(engine):
    result = engine.read(EVAL / "pages" / "sroie_079.jpg", mode="page")
    width, height = Image.open(EVAL / "pages" / "sroie_079.jpg").size
    assert len(result.lines) > 30
    for line in result.lines:
        assert 0.5 <= line.confidence <= 1.0
        (x0, y0), (x1, y1), (x2, y2), (x3, y3) = line.box
        assert x0 < x1 and y1 < y2 and x3 < x2 and y0 < y3, line.box
        assert all(0 <= x < width and 0 <= y < height for x, y in line.box)


def test_bytes_path_and_array_inputs_give_the_same_result(engine):
    path = SAMPLES / "receipt.png"
    bgr = np.asarray(Image.open(path).convert("RGB"))[:, :, ::-1]
    by_path = engine.read(path).to_dict()
    assert engine.read(path.read_bytes()).to_dict() == by_path
    assert engine.read(np.ascontiguousarray(bgr)).to_dict() == by_path


def _boxes_by_text(result: OcrResult) -> dict[str, np.ndarray]:
    return {line.text: np.asarray(line.box) for line in result.lines}


def test_boxes_of_a_padded_copy_move_by_the_padding(engine):
    page = Image.open(EVAL / "pages" / "sroie_000.jpg").convert("RGB")
    padded = Image.new("RGB", (page.width + 120, page.height + 60), "white")
    padded.paste(page, (120, 60))
    original = _boxes_by_text(engine.read(np.asarray(page)[:, :, ::-1].copy(), mode="page"))
    moved = _boxes_by_text(engine.read(encode(padded), mode="page"))
    # the page is rescaled for the detector, so a few long lines read a little differently
    long_texts = [text for text in original if len(text) >= 4]
    common = [text for text in long_texts if text in moved]
    assert len(common) >= 0.75 * len(long_texts)
    shifts = np.stack([moved[t] - original[t] for t in common]).reshape(-1, 2)
    assert np.median(shifts, axis=0).tolist() == pytest.approx([120, 60], abs=2)
    assert np.abs(shifts - [120, 60]).max() <= 8


def test_an_exif_rotated_copy_is_read_upright_in_the_displayed_coordinates(engine):
    page = Image.open(EVAL / "pages" / "sroie_000.jpg").convert("RGB")
    # Stored turned 90 degrees clockwise; EXIF orientation 8 tells viewers to turn it back.
    stored = page.transpose(Image.Transpose.ROTATE_270)
    exif = Image.Exif()
    exif[0x0112] = 8
    rotated_copy = encode(stored, "JPEG", quality=95, exif=exif)
    upright = _boxes_by_text(engine.read(encode(page, "JPEG", quality=95), mode="page"))
    from_exif = engine.read(rotated_copy, mode="page")
    assert (from_exif.pages[0].width, from_exif.pages[0].height) == page.size
    moved = _boxes_by_text(from_exif)
    long_texts = [text for text in upright if len(text) >= 4]
    common = [text for text in long_texts if text in moved]
    assert len(common) >= 0.75 * len(long_texts)
    assert max(np.abs(moved[t] - upright[t]).max() for t in common) <= 8


def test_a_long_line_is_read_in_chunks_and_stitched(engine):
    line = Image.open(SAMPLES / "line.png").convert("RGB")
    repeats = 9
    long_line = Image.new("RGB", (line.width * repeats, line.height), "white")
    for i in range(repeats):
        long_line.paste(line, (i * line.width, 0))
    strip_width = long_line.width * engine.recognizer.params.height / long_line.height
    assert strip_width > 2 * engine.recognizer.params.chunk_width  # at least three chunks
    result = engine.read(encode(long_line), mode="line")
    assert norm(result.text) == norm("光学字符识别 OCR 2026") * repeats


def test_an_upside_down_line_is_turned_by_the_orientation_classifier(engine):
    line = Image.open(SAMPLES / "line.png").convert("RGB").transpose(Image.Transpose.ROTATE_180)
    assert norm(engine.read(encode(line), mode="line").text) == norm("光学字符识别 OCR 2026")


def test_a_pdf_is_read_page_by_page(engine):
    receipt = Image.open(SAMPLES / "receipt.png").convert("RGB")
    line = Image.open(SAMPLES / "line.png").convert("RGB")
    pdf = encode(receipt, "PDF", save_all=True, append_images=[line, receipt], resolution=100)
    result = engine.read_document(pdf)
    assert [page.number for page in result.pages] == [1, 2, 3]
    assert norm(result.pages[0].text) == norm("".join(text for text, _ in RECEIPT))
    assert norm(result.pages[1].text) == norm("光学字符识别 OCR 2026")
    assert result.to_dict()["pages"][2]["width"] > 0
    assert engine.read(pdf).is_document  # read() hands documents to the page-by-page path


def test_a_multi_page_tiff_is_read_page_by_page(engine):
    receipt = Image.open(SAMPLES / "receipt.png").convert("RGB")
    line = Image.open(SAMPLES / "line.png").convert("L")
    tiff = encode(line, "TIFF", save_all=True, append_images=[receipt])
    result = engine.read(tiff)
    assert len(result.pages) == 2
    assert norm(result.pages[0].text) == norm("光学字符识别 OCR 2026")
    assert (result.pages[1].width, result.pages[1].height) == receipt.size


@pytest.mark.parametrize(
    "mode",
    ["L", "LA", "P", "RGBA", "CMYK", "I;16", "1"],
)
def test_image_modes_are_converted_before_reading(engine, mode):
    line = Image.open(SAMPLES / "line.png").convert("RGB")
    if mode == "I;16":
        converted = Image.fromarray((np.asarray(line.convert("L")).astype(np.uint16) * 257))
    else:
        converted = line.convert(mode)
    fmt = "JPEG" if mode == "CMYK" else "TIFF" if mode in ("I;16",) else "PNG"
    assert norm(engine.read(encode(converted, fmt), mode="line").text) == norm("光学字符识别 OCR 2026")


def test_dark_text_on_a_transparent_background_is_read(engine):
    gray = np.asarray(Image.open(SAMPLES / "line.png").convert("L"))
    rgba = np.zeros(gray.shape + (4,), np.uint8)
    rgba[..., 3] = 255 - gray  # only the ink is opaque; its colour is black
    assert norm(engine.read(encode(Image.fromarray(rgba, "RGBA")), mode="line").text) == norm("光学字符识别 OCR 2026")


@pytest.mark.parametrize("fmt", ["BMP", "WEBP", "JPEG", "TIFF"])
def test_every_accepted_image_format_is_read(engine, fmt):
    line = Image.open(SAMPLES / "line.png").convert("RGB")
    params = {"lossless": True} if fmt == "WEBP" else {"quality": 95} if fmt == "JPEG" else {}
    assert norm(engine.read(encode(line, fmt, **params), mode="line").text) == norm("光学字符识别 OCR 2026")


def test_iter_pages_yields_one_page_at_a_time(engine):
    receipt = Image.open(SAMPLES / "receipt.png").convert("RGB")
    pdf = encode(receipt, "PDF", save_all=True, append_images=[receipt, receipt], resolution=100)
    pages = engine.iter_pages(pdf)
    assert (pages.count, pages.is_document) == (3, True)
    first = next(pages)
    assert first.number == 1 and len(first.lines) == len(RECEIPT)
    assert [page.number for page in pages] == [2, 3]


def test_a_budget_stops_a_read_between_pages_and_stages_and_says_where(engine):
    from ocr_engine.budget import Budget
    from ocr_engine.errors import Cancelled, DeadlineExceeded

    line = Image.open(SAMPLES / "line.png").convert("RGB")
    pdf = encode(line, "PDF", save_all=True, append_images=[line, line], resolution=100)
    with pytest.raises(DeadlineExceeded, match="after page 1 of 3") as raised:
        engine.read(pdf, mode="line", budget=Budget.within(0))
    assert raised.value.code == "timeout"
    with pytest.raises(DeadlineExceeded, match="after finding the lines of page 1"):
        engine.read(pdf, mode="page", budget=Budget.within(0))
    assert len(engine.read(pdf, budget=Budget.within(600)).pages) == 3
    pages = engine.iter_pages(pdf, mode="line", budget=Budget.within(0))
    assert next(pages).number == 1
    with pytest.raises(DeadlineExceeded):
        next(pages)
    gone = Budget()
    gone.cancelled.set()  # the caller's client went away
    with pytest.raises(Cancelled):
        engine.read(pdf, mode="page", budget=gone)


def test_max_pages_lowers_the_page_limit_for_one_read(engine):
    from ocr_engine.errors import TooManyPages

    line = Image.open(SAMPLES / "line.png").convert("RGB")
    pdf = encode(line, "PDF", save_all=True, append_images=[line, line], resolution=100)
    with pytest.raises(TooManyPages, match="limit is 2"):
        engine.read(pdf, max_pages=2)
    assert len(engine.read(pdf, max_pages=3).pages) == 3


@pytest.mark.parametrize("size, tried", [((400, 40), True), ((40, 400), True), ((2000, 40), True),
                                         ((2100, 40), False), ((8, 16384), False), ((16065, 46), False)])
def test_an_image_without_text_is_tried_as_one_line_only_if_a_line_could_be_that_long(engine, size, tried):
    """Auto mode reads an image in which the detector finds no text as one line, unless no
    line is that long (50 heights): a blank 8 x 16384 PNG is not run through the recogniser
    (seconds of CPU for nothing)."""
    result = engine.read(encode(Image.new("L", size, 255)))
    assert result.lines == []
    assert ("recognize" in result.timings) is tried
