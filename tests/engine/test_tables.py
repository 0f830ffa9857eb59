"""The tables stage (ocr_engine/tables) on tables drawn here (testkit/tables.py) in Chinese
and English: ruled, ruled across only (every row, or top/header/bottom), borderless, with
merged header cells, several on a page, and a born-digital PDF's table. A kind passes when
its tables have the drawn rows, columns and spans and >= 90 % of the drawn cells come back
holding exactly their text."""

import numpy as np
import pytest

from ocr_engine.result import Page
from testkit.tables import DrawnTable, born_digital_table, draw_page

EN = [["Item", "Qty", "Unit price", "Date"], ["Apple", "3", "4.50", "2026-01-05"],
      ["Banana", "12", "0.25", "2026-02-11"], ["Cherry", "7", "19.00", "2026-03-17"],
      ["Dragon fruit", "1", "8.80", "2026-04-23"], ["Elderberry", "40", "0.10", "2026-05-29"]]
ZH = [["名称", "数量", "单价", "产地"], ["苹果", "3", "4.50", "山东"], ["香蕉", "12", "0.25", "海南"],
      ["樱桃", "7", "19.00", "辽宁"], ["火龙果", "1", "8.80", "广西"], ["葡萄", "40", "0.10", "新疆"]]
MERGED_EN = ([["Region", "2025", None, "2026", None], [None, "H1", "H2", "H1", "H2"],
              ["North", "10", "12", "14", "16"], ["South", "20", "22", "24", "26"], ["West", "31", "33", "35", "37"]],
             {(0, 0): (2, 1), (0, 1): (1, 2), (0, 3): (1, 2)})
MERGED_ZH = ([["地区", "上半年", None, "下半年", None], [None, "收入", "支出", "收入", "支出"],
              ["华北", "10", "12", "14", "16"], ["华南", "20", "22", "24", "26"], ["西部", "31", "33", "35", "37"]],
             {(0, 0): (2, 1), (0, 1): (1, 2), (0, 3): (1, 2)})
STYLES = {"ruled": "ruled", "rules across every row": "across", "header rules only": "header",
          "borderless": "borderless"}
BAR = 0.9


def cell_accuracy(page: Page, drawn: list[DrawnTable]) -> float:
    """The share of drawn cells that some table on the page has at the same place, with the same spans and text."""
    found = {(c.row, c.col, c.row_span, c.col_span, c.text) for table in page.tables for c in table.cells}
    expected = [cell for table in drawn for cell in table.expected()]
    return sum(cell in found for cell in expected) / len(expected)


def read_drawn(engine, blocks) -> Page:
    image = np.array(draw_page(blocks))[:, :, ::-1].copy()
    return engine.read(image, mode="page", tables=True).pages[0]


def assert_same_structure(page: Page, drawn: list[DrawnTable]) -> None:
    assert [(t.rows, t.cols) for t in page.tables] == [(len(d.rows), len(d.rows[0])) for d in drawn]
    for table, want in zip(page.tables, drawn):
        spans = {(c.row, c.col): (c.row_span, c.col_span) for c in table.cells if (c.row_span, c.col_span) != (1, 1)}
        assert spans == want.spans
        covered = sorted((c.row + i, c.col + j) for c in table.cells for i in range(c.row_span)
                         for j in range(c.col_span))
        assert covered == [(r, c) for r in range(table.rows) for c in range(table.cols)]  # each position once


@pytest.mark.parametrize("style", STYLES)
def test_a_kind_of_table_in_english_and_chinese_comes_back_cell_by_cell(engine, style):
    drawn = [DrawnTable(EN, style=STYLES[style]), DrawnTable(ZH, style=STYLES[style])]
    page = read_drawn(engine, [drawn[0], "价格按公斤计算，以下为上月数据。", drawn[1]])
    assert_same_structure(page, drawn)
    assert cell_accuracy(page, drawn) >= BAR


@pytest.mark.parametrize("style", STYLES)
def test_merged_header_cells_come_back_with_their_spans(engine, style):
    drawn = [DrawnTable(*MERGED_EN, style=STYLES[style]), DrawnTable(*MERGED_ZH, style=STYLES[style])]
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
