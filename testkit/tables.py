"""Tables drawn for the tables stage's tests (PIL): a grid of cell texts, merged cells, and a
style of ruling (full grid, rules across every row, top/header/bottom rules only, none), on
a white page, with what each cell holds, as the test expects it back."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from PIL import Image, ImageDraw, ImageFont

FONT = "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"
STYLES = ("ruled", "across", "header", "borderless")
Expected = tuple[int, int, int, int, str]  # row, col, row_span, col_span, text


@dataclass
class DrawnTable:
    """`rows`: each row's cell texts; None where a merged cell covers the position. `spans`:
    (row, col) -> (row_span, col_span) of the merged cells."""

    rows: list[list[str | None]]
    spans: dict[tuple[int, int], tuple[int, int]] = field(default_factory=dict)
    style: str = "ruled"

    def expected(self) -> list[Expected]:
        return [(r, c, *self.spans.get((r, c), (1, 1)), text)
                for r, row in enumerate(self.rows) for c, text in enumerate(row) if text]


def draw_page(blocks: list[DrawnTable | str], size: int = 28, width: int = 1400, font_path: str = FONT) -> Image.Image:
    """The page: tables and lines of text (str), top to bottom, with space between."""
    font = ImageFont.truetype(font_path, size)
    pieces = []
    for block in blocks:
        pieces.append(_draw_text(block, font, width) if isinstance(block, str) else _draw_table(block, font))
    height = sum(p.height for p in pieces) + size * 2 * (len(pieces) + 1)
    page = Image.new("L", (max(width, *(p.width + 2 * size for p in pieces)), height), 255)
    y = size * 2
    for piece in pieces:
        page.paste(piece, (size * 2, y))
        y += piece.height + size * 2
    return page.convert("RGB")


def _draw_text(text: str, font, width: int) -> Image.Image:
    image = Image.new("L", (width, int(font.size * 1.6)), 255)
    ImageDraw.Draw(image).text((0, font.size * 0.2), text, font=font, fill=0)
    return image


def _draw_table(table: DrawnTable, font) -> Image.Image:
    size = font.size
    pad = size  # at least one text height between columns, as a reader sees a borderless gap
    n_rows, n_cols = len(table.rows), len(table.rows[0])
    widths = [0] * n_cols
    for r, row in enumerate(table.rows):
        for c, text in enumerate(row):
            if text and table.spans.get((r, c), (1, 1))[1] == 1:
                widths[c] = max(widths[c], int(font.getlength(text)) + 2 * pad)
    widths = [w or 3 * size for w in widths]
    for (r, c), (_, col_span) in table.spans.items():  # a merged cell wider than its columns widens the last
        need = int(font.getlength(table.rows[r][c] or "")) + 2 * pad
        have = sum(widths[c:c + col_span])
        if need > have:
            widths[c + col_span - 1] += need - have
    row_height = int(size * 2.0)
    xs = [0]
    for w in widths:
        xs.append(xs[-1] + w)
    ys = [r * row_height for r in range(n_rows + 1)]
    image = Image.new("L", (xs[-1] + 4, ys[-1] + 4), 255)
    draw = ImageDraw.Draw(image)
    covered = {(r + i, c + j) for (r, c), (rs, cs) in table.spans.items() for i in range(rs) for j in range(cs)}
    for r, row in enumerate(table.rows):
        for c, text in enumerate(row):
            if not text:
                continue
            rs, cs = table.spans.get((r, c), (1, 1))
            left, right, top, bottom = xs[c], xs[c + cs], ys[r], ys[r + rs]
            x = (left + right - font.getlength(text)) / 2 if cs > 1 else left + pad
            y = (top + bottom) / 2 - size * 0.65
            draw.text((x, y), text, font=font, fill=0)
    if table.style == "ruled":
        for r in range(n_rows + 1):
            for c in range(n_cols):  # no rule inside a merged cell
                if r in (0, n_rows) or not ({(r - 1, c), (r, c)} <= covered and _same_span(table, r - 1, r, c, True)):
                    draw.line([(xs[c], ys[r]), (xs[c + 1], ys[r])], fill=0, width=2)
        for c in range(n_cols + 1):
            for r in range(n_rows):
                if c in (0, n_cols) or not ({(r, c - 1), (r, c)} <= covered and _same_span(table, c - 1, c, r, False)):
                    draw.line([(xs[c], ys[r]), (xs[c], ys[r + 1])], fill=0, width=2)
    elif table.style in ("across", "header"):
        rules = range(n_rows + 1) if table.style == "across" else (0, _header_rows(table), n_rows)
        for r in rules:
            for c in range(n_cols):  # not through a merged cell
                if r in (0, n_rows) or not _same_span(table, r - 1, r, c, True):
                    draw.line([(xs[c], ys[r]), (xs[c + 1], ys[r])], fill=0, width=2)
    return image


def _header_rows(table: DrawnTable) -> int:
    return max([r + rs for (r, _), (rs, _) in table.spans.items() if r == 0] + [1])


def _same_span(table: DrawnTable, a: int, b: int, other: int, rows: bool) -> bool:
    """Whether grid positions a and b (rows a, b at column `other`, or columns at row `other`) are one merged cell."""
    for (r, c), (rs, cs) in table.spans.items():
        if rows and c <= other < c + cs and r <= a and b < r + rs:
            return True
        if not rows and r <= other < r + rs and c <= a and b < c + cs:
            return True
    return False


def born_digital_table(rows: list[list[str]], ruled: bool = True) -> bytes:
    """A one-page PDF whose table is PDF text (Helvetica, Latin-1) in cells ruled by vector
    paths (`m`/`l`/`S`), as a report generator writes it; none when not `ruled`."""
    import io

    import pikepdf

    left, top, width, height, size = 72, 700, 110, 24, 12  # points
    ops = [b"BT", f"/F1 {size} Tf".encode()]
    for r, row in enumerate(rows):
        for c, text in enumerate(row):
            ops.append(f"1 0 0 1 {left + c * width + 8} {top - (r + 1) * height + 8} Tm".encode())
            ops.append(b"(" + text.encode("latin-1").replace(b"(", b"\\(").replace(b")", b"\\)") + b") Tj")
    ops.append(b"ET")
    if ruled:
        right, bottom = left + width * len(rows[0]), top - height * len(rows)
        ops.append(b"1 w")
        for r in range(len(rows) + 1):
            ops.append(f"{left} {top - r * height} m {right} {top - r * height} l S".encode())
        for c in range(len(rows[0]) + 1):
            ops.append(f"{left + c * width} {top} m {left + c * width} {bottom} l S".encode())
    pdf = pikepdf.new()
    font = pikepdf.Dictionary(Type=pikepdf.Name.Font, Subtype=pikepdf.Name.Type1, BaseFont=pikepdf.Name.Helvetica,
                              Encoding=pikepdf.Name.WinAnsiEncoding)
    page = pikepdf.Dictionary(Type=pikepdf.Name.Page, MediaBox=pikepdf.Array([0, 0, 612, 792]),
                              Resources=pikepdf.Dictionary(Font=pikepdf.Dictionary(F1=font)),
                              Contents=pikepdf.Stream(pdf, b"\n".join(ops)))
    pdf.pages.append(pikepdf.Page(page))
    out = io.BytesIO()
    pdf.save(out)
    return out.getvalue()


# The tables the tests and bench/tables.py read: one English and one Chinese of each kind.
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
KINDS = {"ruled": "ruled", "rules across every row": "across", "header rules only": "header",
          "borderless": "borderless"}


def cell_accuracy(page, drawn: list[DrawnTable]) -> float:
    """The share of drawn cells that some table on the page has at the same place, with the same spans and text."""
    found = {(c.row, c.col, c.row_span, c.col_span, c.text) for table in page.tables for c in table.cells}
    expected = [cell for table in drawn for cell in table.expected()]
    return sum(cell in found for cell in expected) / len(expected)


def read_drawn(engine, blocks, **drawing):
    image = np.array(draw_page(blocks, **drawing))[:, :, ::-1].copy()
    return engine.read(image, mode="page", tables=True).pages[0]
