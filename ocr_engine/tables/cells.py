"""The lines as the tables stage sees them, and a grid with its lines as the result's Table.

A line whose words have a gap of a cell's width in them is two cells' text that the
detector ran together ("名称    数量" read as one line): the stage cuts it there into
pieces. Each piece goes to the cell that holds its centre; a cell's text is its pieces'
joined by newlines in reading order, its `lines` the page's lines they come from."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..result import Box, Cell, Line, Table
from ..words import is_wide
from .grid import Grid


@dataclass(frozen=True)
class Pieces:
    bounds: np.ndarray  # N x 4: left, top, right, bottom
    texts: list[str]
    lines: list[int]  # the page's line each piece is of


def pieces_of(lines: list[Line], cut: float, ink: np.ndarray | None = None) -> Pieces:
    """The lines, cut where two of a line's words are `cut` pixels or more apart, or else
    (the words' boxes are estimates, and may share a gap out between them) where the
    page's `ink` inside the line's box has such a gap."""
    bounds, texts, owners = [], [], []
    for index, line in enumerate(lines):
        pieces = _cut(line, cut)
        if len(pieces) == 1 and ink is not None:
            pieces = _cut_at_ink(line, pieces[0][1], ink, cut)
        for text, box in pieces:
            bounds.append(box)
            texts.append(text)
            owners.append(index)
    return Pieces(np.array(bounds, np.float64).reshape(-1, 4), texts, owners)


def _cut(line: Line, cut: float) -> list[tuple[str, list[float]]]:
    points = np.array(line.box, np.float64)
    whole = [(line.text, [*points.min(axis=0), *points.max(axis=0)])]
    if len(line.words) < 2:
        return whole
    boxes = [np.array(word.box, np.float64) for word in line.words]
    lefts, rights = [b[:, 0].min() for b in boxes], [b[:, 0].max() for b in boxes]
    breaks = [k + 1 for k in range(len(boxes) - 1) if lefts[k + 1] - rights[k] >= cut]
    if not breaks:
        return whole
    starts, ends, at = [], [], 0
    for word in line.words:  # the words are the line's text less its spaces, in order
        found = line.text.find(word.text, at)
        if found < 0:
            return whole
        starts.append(found)
        at = found + len(word.text)
        ends.append(at)
    pieces = []
    for first, stop in zip([0, *breaks], [*breaks, len(boxes)]):
        top = min(b[:, 1].min() for b in boxes[first:stop])
        bottom = max(b[:, 1].max() for b in boxes[first:stop])
        pieces.append((line.text[starts[first]:ends[stop - 1]], [lefts[first], top, max(rights[first:stop]), bottom]))
    return pieces


def _cut_at_ink(line: Line, box: list[float], ink: np.ndarray, cut: float) -> list[tuple[str, list[float]]]:
    """The line cut at the gaps of `cut` pixels or more in its ink, its characters shared
    among the runs of ink by their advances (a CJK character is two Latin ones wide)."""
    whole = [(line.text, box)]
    left, top, right, bottom = (int(round(v)) for v in box)
    columns = ink[max(top, 0):max(bottom, 0), max(left, 0):max(right, 0)].sum(axis=0) > 255  # 2+ ink pixels
    inked = np.flatnonzero(columns)
    if len(inked) < 2:
        return whole
    breaks = np.flatnonzero(np.diff(inked) > cut)
    if not len(breaks):
        return whole
    runs = list(zip([inked[0], *inked[breaks + 1]], [*inked[breaks], inked[-1]]))
    widths = np.array([b - a + 1 for a, b in runs], np.float64)
    advances = np.cumsum([2 if is_wide(c) else 1 for c in line.text])
    ends = [int(np.argmin(abs(advances - advances[-1] * share))) + 1 for share in np.cumsum(widths)[:-1] / widths.sum()]
    texts = [line.text[a:b].strip() for a, b in zip([0, *ends], [*ends, len(line.text)])]
    if not all(texts):
        return whole
    return [(text, [left + a, top, left + b + 1, bottom]) for text, (a, b) in zip(texts, runs)]


def table_of(grid: Grid, pieces: Pieces, members: list[int]) -> Table:
    held: list[list[int]] = [[] for _ in grid.spans]
    bounds = pieces.bounds
    for i in sorted(members):  # pieces come in the page's order: reading order
        centre_x, centre_y = (bounds[i, 0] + bounds[i, 2]) / 2, (bounds[i, 1] + bounds[i, 3]) / 2
        held[grid.cell_at(centre_x, centre_y)].append(i)
    cells = [Cell(r0, c0, r1 - r0, c1 - c0, "\n".join(pieces.texts[i] for i in inside),
                  rectangle(grid.xs[c0], grid.ys[r0], grid.xs[c1], grid.ys[r1]),
                  sorted({pieces.lines[i] for i in inside}))
             for (r0, c0, r1, c1), inside in zip(grid.spans, held)]
    return Table(rectangle(grid.xs[0], grid.ys[0], grid.xs[-1], grid.ys[-1]), grid.rows, grid.cols, cells)


def rectangle(left: float, top: float, right: float, bottom: float) -> Box:
    """A box as the result writes boxes: four points clockwise from top-left, whole pixels."""
    x0, y0, x1, y1 = (int(round(v)) for v in (left, top, right, bottom))
    return [[x0, y0], [x1, y0], [x1, y1], [x0, y1]]
