"""Markdown (ocr_engine/formats/markdown.py) on results made by hand: paragraphs by the gaps
between lines, a table as a GFM pipe table where its first line is, merged cells' covered
positions empty, markup and pipes escaped; and hOCR's table markup for the same result."""

from lxml import html

from ocr_engine.formats import output_format
from ocr_engine.result import Cell, Line, OcrResult, Page, Table


def line(text: str, top: int, left: int = 10, width: int = 200) -> Line:
    return Line(text, 0.99, [[left, top], [left + width, top], [left + width, top + 20], [left, top + 20]])


def box(x0, y0, x1, y1):
    return [[x0, y0], [x1, y0], [x1, y1], [x0, y1]]


LINES = [line("# not a heading", 0), line("first paragraph, second line", 24), line("1. not a list", 80),
         line("Region", 140, 10, 60), line("2026", 140, 100, 40), line("H1", 170, 100, 20), line("H2", 170, 150, 20),
         line("North", 200, 10, 60), line("a|b", 200, 100, 30), line("7", 200, 150, 10), line("x", 200, 160, 5),
         line("after the table", 260)]
TABLE = Table(box(0, 135, 200, 225), 3, 3, [
    Cell(0, 0, 2, 1, "Region", box(0, 135, 90, 195), [3]), Cell(0, 1, 1, 2, "2026", box(90, 135, 200, 165), [4]),
    Cell(1, 1, 1, 1, "H1", box(90, 165, 140, 195), [5]), Cell(1, 2, 1, 1, "H2", box(140, 165, 200, 195), [6]),
    Cell(2, 0, 1, 1, "North", box(0, 195, 90, 225), [7]), Cell(2, 1, 1, 1, "a|b", box(90, 195, 140, 225), [8]),
    Cell(2, 2, 1, 1, "7\nx", box(140, 195, 200, 225), [9, 10])])
PAGE = Page(1, 300, 300, LINES, tables=[TABLE])


def test_a_page_is_paragraphs_and_a_pipe_table_in_reading_order():
    markdown = output_format("markdown").render(OcrResult([PAGE])).decode()
    assert markdown == (
        "\\# not a heading\nfirst paragraph, second line\n\n"
        "1\\. not a list\n\n"
        "| Region | 2026 |  |\n| --- | --- | --- |\n|  | H1 | H2 |\n| North | a\\|b | 7<br>x |\n\n"
        "after the table\n")


def test_a_documents_pages_are_marked_and_a_page_without_tables_is_its_paragraphs():
    pages = [Page(1, 300, 300, LINES[:2]), Page(2, 300, 300, [line("*page two*", 0)])]
    markdown = output_format("md").render(OcrResult(pages, is_document=True)).decode()
    assert markdown == ("<!-- page 1 -->\n\n\\# not a heading\nfirst paragraph, second line\n\n"
                        "<!-- page 2 -->\n\n\\*page two\\*\n")


def test_hocr_puts_a_tables_lines_in_its_cells_and_keeps_every_line_once():
    document = html.document_fromstring(output_format("hocr").render(OcrResult([PAGE])))
    (table,) = document.find_class("ocr_table")
    areas = table.find_class("ocr_carea")
    assert [a.get("title").split("; ")[1] for a in areas] == [
        "x_cell 0 0 2 1", "x_cell 0 1 1 2", "x_cell 1 1 1 1", "x_cell 1 2 1 1", "x_cell 2 0 1 1", "x_cell 2 1 1 1",
        "x_cell 2 2 1 1"]
    assert [e.text_content() for e in areas[-1].find_class("ocr_line")] == ["7", "x"]
    assert [e.text_content() for e in document.find_class("ocr_line")] == [line.text for line in LINES]
