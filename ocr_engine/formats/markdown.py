"""Markdown (GitHub Flavored): each page's text in reading order, its lines grouped into
paragraphs (a blank line where the gap between two lines is wider than a line, or where
reading moves up to a new column), and each table (ocr_engine/tables) as a GFM pipe table
where its first line would be. The first row is the table's header row (GFM needs one). A
merged cell's text is in its first (top-left) position; the positions it covers stay empty,
so that no value is read twice (a total spanning two columns is one total). A cell's lines
are joined by `<br>`. Characters Markdown would read as markup are escaped with a
backslash (`|` too, in and out of tables); a document's pages are marked by
`<!-- page N -->` comments."""

from __future__ import annotations

import re

from ..result import Line, OcrResult, Page, Table

# A gap between two lines wider than this share of a line's height starts a paragraph.
PARAGRAPH_GAP = 0.8
_INLINE = re.compile(r"([\\`*_\[\]<>|])")
_BLOCK_START = re.compile(r"^(\s*)(#{1,6}|[=+-]|\d{1,9}[.)])(?=\s|$)")


def render_markdown(result: OcrResult, source: bytes | None = None, **_) -> bytes:
    parts = []
    for page in result.pages:
        if result.is_document:
            parts.append(f"<!-- page {page.number} -->")
        body = page_markdown(page)
        if body:
            parts.append(body)
    return ("\n\n".join(parts) + "\n").encode("utf-8")


def page_markdown(page: Page) -> str:
    owner: dict[int, int] = {}
    for number, table in enumerate(page.tables):
        for cell in table.cells:
            for index in cell.lines:
                owner.setdefault(index, number)
    blocks: list[str] = []
    paragraph: list[str] = []
    written: set[int] = set()
    previous: Line | None = None
    for index, line in enumerate(page.lines):
        table_number = owner.get(index)
        if table_number is None and paragraph and previous is not None and _starts_paragraph(previous, line):
            blocks.append("\n".join(paragraph))
            paragraph = []
        if table_number is None:
            paragraph.append(escape(line.text))
            previous = line
            continue
        if paragraph:
            blocks.append("\n".join(paragraph))
            paragraph = []
        previous = None
        if table_number not in written:
            written.add(table_number)
            blocks.append(table_markdown(page.tables[table_number]))
    if paragraph:
        blocks.append("\n".join(paragraph))
    blocks += [table_markdown(table) for number, table in enumerate(page.tables) if number not in written]
    return "\n\n".join(blocks)


def table_markdown(table: Table) -> str:
    grid = [[""] * table.cols for _ in range(table.rows)]
    for cell in table.cells:
        grid[cell.row][cell.col] = "<br>".join(escape(part, block=False) for part in cell.text.split("\n"))
    rows = [grid[0], ["---"] * table.cols, *grid[1:]]
    return "\n".join("| " + " | ".join(row) + " |" for row in rows)


def escape(text: str, block: bool = True) -> str:
    """`text` with what Markdown would read as markup escaped: inline markers anywhere, and
    (a paragraph's line, `block`) a heading's, a list's or a quote's marker at the start."""
    text = _INLINE.sub(r"\\\1", text)
    if not block:
        return text
    return _BLOCK_START.sub(lambda m: m.group(1) + m.group(2)[:-1] + "\\" + m.group(2)[-1], text)


def _starts_paragraph(previous: Line, line: Line) -> bool:
    top_before, bottom_before = _top_bottom(previous)
    top, bottom = _top_bottom(line)
    height = max(1.0, min(bottom_before - top_before, bottom - top))
    return top - bottom_before > PARAGRAPH_GAP * height or bottom < top_before


def _top_bottom(line: Line) -> tuple[float, float]:
    ys = [point[1] for point in line.box]
    return min(ys), max(ys)
