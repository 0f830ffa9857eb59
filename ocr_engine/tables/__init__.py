"""The tables stage, after recognition (off unless asked for: `read(..., tables=True)`):
tables on a page, from its ruling lines (OpenCV morphology, rules.py; ruled grids and
merged cells, grid.py) and from its text lines' alignment (columns by the gaps in their
x-projection over rows of several cells, borderless.py), with the page's lines as their
cells' text (cells.py). Lines stay in the page's `lines` too."""

from __future__ import annotations

import numpy as np

from ..result import Line, Table
from .borderless import aligned_grids
from .cells import pieces_of, table_of
from .grid import ruled_grids
from .rules import Rules, find_rules

__all__ = ["find_tables"]
# Words of one line this many text heights apart are in two cells (a Latin space is a fifth
# of one; CJK characters touch; borderless.CELL_GAP is the same).
CUT = 0.6


def find_tables(image: np.ndarray | None, lines: list[Line], width: int, height: int) -> list[Table]:
    """The tables on a page of `lines` (its reading order); `image` (BGR, the page as the
    lines' boxes see it) gives the rules, and without it tables come from alignment alone."""
    if not lines:
        return []
    points = np.array([line.box for line in lines], dtype=np.float64)
    sides = points.max(axis=1) - points.min(axis=1)
    worded = [i for i, line in enumerate(lines) if len(line.text.strip()) >= 3]  # "8" is taller than wide
    if worded and np.mean(sides[worded, 1] > sides[worded, 0]) > 0.5:
        return []  # lines that run down the page: vertical text has no tables here
    line_height = float(np.median(np.maximum(sides[:, 1], 1.0)))
    rules = find_rules(image, line_height) if image is not None else Rules.none(height, width)
    pieces = pieces_of(lines, CUT * line_height, rules.ink)
    bounds = pieces.bounds
    tables: list[Table] = []
    taken: set[int] = set()
    for grid in ruled_grids(rules, line_height):
        members = [i for i in range(len(bounds)) if i not in taken
                   and grid.contains((bounds[i, 0] + bounds[i, 2]) / 2, (bounds[i, 1] + bounds[i, 3]) / 2)]
        if members:  # a frame with nothing in it is a drawing
            taken.update(members)
            tables.append(table_of(grid, pieces, members))
    free = [i for i in range(len(bounds)) if i not in taken]
    for grid, members in aligned_grids(bounds, free, line_height, rules):
        tables.append(table_of(grid, pieces, members))
    return sorted(tables, key=lambda table: (table.box[0][1], table.box[0][0]))
