"""The tables stage (ocr_engine/tables) on tables drawn here (testkit/tables.py) in Chinese
and English: ruled, ruled across only (every row, or top/header/bottom), borderless, with
merged header cells, several on a page, and a born-digital PDF's table. A kind passes when
its tables have the drawn rows, columns and spans and >= 90 % of the drawn cells come back
holding exactly their text."""

import numpy as np
import pytest

from ocr_engine.result import Page
from testkit.tables import (
    EN,
    KINDS,
    MERGED_EN,
    MERGED_ZH,
    ZH,
    DrawnTable,
    born_digital_table,
    cell_accuracy,
    draw_page,
    read_drawn,
)

BAR = 0.9


def assert_same_structure(page: Page, drawn: list[DrawnTable]) -> None:
    assert [(t.rows, t.cols) for t in page.tables] == [(len(d.rows), len(d.rows[0])) for d in drawn]
    for table, want in zip(page.tables, drawn):
        spans = {(c.row, c.col): (c.row_span, c.col_span) for c in table.cells if (c.row_span, c.col_span) != (1, 1)}
        assert spans == want.spans
        covered = sorted((c.row + i, c.col + j) for c in table.cells for i in range(c.row_span)
                         for j in range(c.col_span))
        assert covered == [(r, c) for r in range(table.rows) for c in range(table.cols)]  # each position once


@pytest.mark.parametrize("style", KINDS)
def test_a_kind_of_table_in_english_and_chinese_comes_back_cell_by_cell(engine, style):
    drawn = [DrawnTable(EN, style=KINDS[style]), DrawnTable(ZH, style=KINDS[style])]
    page = read_drawn(engine, [drawn[0], "价格按公斤计算，以下为上月数据。", drawn[1]])
    assert_same_structure(page, drawn)
    assert cell_accuracy(page, drawn) >= BAR


@pytest.mark.parametrize("style", KINDS)
def test_merged_header_cells_come_back_with_their_spans(engine, style):
    drawn = [DrawnTable(*MERGED_EN, style=KINDS[style]), DrawnTable(*MERGED_ZH, style=KINDS[style])]
    page = read_drawn(engine, [drawn[0], "Figures in thousands of euros.", drawn[1]])
    assert_same_structure(page, drawn)
    assert cell_accuracy(page, drawn) >= BAR


def test_several_tables_of_different_kinds_on_a_page_are_told_apart(engine):
    drawn = [DrawnTable(EN[:4], style="ruled"), DrawnTable(ZH[:4], style="borderless"),
             DrawnTable(EN[2:], style="header")]
    page = read_drawn(engine, ["Quarterly summary", drawn[0], "以下是第二张表。", drawn[1], "And a third one.",
                               drawn[2]])
    assert_same_structure(page, drawn)
    assert cell_accuracy(page, drawn) >= BAR
    text_lines = {"Quarterly summary", "以下是第二张表。", "And a third one."}
    in_cells = {i for table in page.tables for cell in table.cells for i in cell.lines}
    assert {page.lines[i].text for i in in_cells} & text_lines == set()  # the text between stays out


def test_a_cells_lines_are_the_pages_lines_and_its_text_is_theirs(engine):
    page = read_drawn(engine, [DrawnTable(EN, style="ruled")])
    (table,) = page.tables
    for cell in table.cells:
        assert cell.text == "\n".join(page.lines[i].text for i in cell.lines)
        (x0, y0), (x1, y1) = cell.box[0], cell.box[2]
        for i in cell.lines:  # each line lies in its cell's box
            xs, ys = [p[0] for p in page.lines[i].box], [p[1] for p in page.lines[i].box]
            assert x0 <= (min(xs) + max(xs)) / 2 <= x1 and y0 <= (min(ys) + max(ys)) / 2 <= y1


@pytest.mark.parametrize("ruled", [True, False], ids=["ruled", "borderless"])
def test_a_born_digital_pdfs_table_is_read_from_its_text_layer_and_its_vector_rules(engine, ruled):
    rows = [["Invoice", "Qty", "Amount"], ["Paper (A4)", "10", "45.00"], ["Toner | black", "2", "120.50"],
            ["Staples", "5", "3.25"]]
    page = engine.read(born_digital_table(rows, ruled=ruled), tables=True).pages[0]
    assert page.source == "text"
    drawn = DrawnTable(rows)
    assert [(t.rows, t.cols) for t in page.tables] == [(4, 3)]
    assert cell_accuracy(page, [drawn]) == 1.0


def test_without_tables_the_stage_does_not_run_and_pages_have_none(engine):
    image = np.array(draw_page([DrawnTable(EN, style="ruled")]))[:, :, ::-1].copy()
    result = engine.read(image, mode="page")
    assert result.pages[0].tables == [] and "tables" not in result.timings
    assert result.to_dict()["pages"][0]["tables"] == []


def test_running_text_in_two_columns_is_not_a_table(engine):
    left = ["The service reads Chinese and", "English text from images and", "PDF documents on the CPU."]
    right = ["Results come back as JSON with", "lines, words and their boxes,", "or as Markdown and hOCR."]
    page = read_drawn(engine, [DrawnTable([[a, b] for a, b in zip(left, right)], style="borderless")])
    assert page.tables == []


def boxed(text: str, left: int, top: int, width: int, height: int = 20):
    from ocr_engine.result import Line

    return Line(text, 0.99, [[left, top], [left + width, top], [left + width, top + height], [left, top + height]])


def test_a_cells_text_wrapped_onto_a_second_line_stays_in_its_row():
    """Lines set by hand (no image: alignment alone): the second column's text of row 1
    wraps onto a line set as close as a paragraph's lines; it is that cell's second line."""
    from ocr_engine.tables import find_tables

    lines = [boxed("Name", 0, 0, 60), boxed("Notes", 200, 0, 60),
             boxed("MACS", 0, 30, 60), boxed("Uses both a control library", 200, 30, 300),
             boxed("and local statistics", 200, 52, 220),
             boxed("SICER", 0, 82, 60), boxed("Designed for broad regions", 200, 82, 300),
             boxed("PeakSeq", 0, 112, 80), boxed("Corrects for mappability", 200, 112, 280)]
    (table,) = find_tables(None, lines, 600, 200)
    assert (table.rows, table.cols) == (4, 2)
    cells = {(c.row, c.col): c for c in table.cells}
    assert cells[(1, 1)].text == "Uses both a control library\nand local statistics" and cells[(1, 1)].lines == [3, 4]
    assert cells[(2, 0)].text == "SICER"
