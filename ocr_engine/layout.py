"""Reading order: text lines top-to-bottom and left-to-right, text columns kept apart;
vertical (CJK) columns right to left.

A recursive XY-cut on the boxes' bounds, taken on the page turned upright first when the
boxes show a skew (skew.py). Rows come first (a receipt reads "TOTAL ... RM 15.90"
across); a vertical gutter splits a group into columns only when both sides look like
running text (long lines), so tables stay row by row and two-column text is read one
column after the other. Side by side pieces of one row are read left to right, unless
most of them are vertical lines: then right to left, as vertical Chinese is set (on a
sign, a title across the top, then the columns right to left, then a line below)."""

from __future__ import annotations

import numpy as np

from .skew import levelled

# A line of running text is many characters long; table cells and numbers are short.
_TEXT_LINE_ASPECT = 6.0
# Boxes of one row overlap a little vertically when a page is slightly skewed.
_ROW_TOLERANCE = 0.25
# A line set vertically is a box this many times taller than wide (the crop is turned to read it).
VERTICAL_ASPECT = 1.5
# A box at most this much wider than tall may be a single character of a column.
_SQUARE = 1.25


def reading_order(boxes: np.ndarray) -> list[int]:
    """Indices of `boxes` (N x 4 x 2, input coordinates) in reading order."""
    if len(boxes) == 0:
        return []
    boxes = levelled(boxes)
    # per box: x0, y0, x1, y1, and whether the box itself (not its bounds: a line slanted
    # at 45 degrees has square bounds) is tall or square, as a vertical line or one of its characters
    sides = np.linalg.norm(boxes - np.roll(boxes, -1, axis=1), axis=2)
    narrow = sides[:, [0, 2]].mean(axis=1) <= _SQUARE * sides[:, [1, 3]].mean(axis=1)
    bounds = np.column_stack([boxes.min(axis=1), boxes.max(axis=1), narrow]).astype(np.float64)
    heights = np.minimum(bounds[:, 3] - bounds[:, 1], bounds[:, 2] - bounds[:, 0])
    line_height = float(np.median(np.maximum(heights, 1.0)))
    return _order(np.arange(len(boxes)), bounds, line_height)


def _order(idx: np.ndarray, bounds: np.ndarray, line_height: float) -> list[int]:
    if len(idx) <= 1:
        return idx.tolist()
    b = bounds[idx]
    columns = _column_split(idx, b, line_height)
    if columns is not None:
        return [i for part in columns for i in _order(part, bounds, line_height)]
    columns = _vertical_columns(idx, bounds)
    if columns is not None:
        return [i for part in columns for i in _order(part, bounds, line_height)]
    # shrink each box vertically so a slight skew does not merge neighbouring rows
    pad = (b[:, 3] - b[:, 1]) * _ROW_TOLERANCE
    bands = _split_on_gaps(idx, b[:, 1] + pad, b[:, 3] - pad)
    if len(bands) > 1:
        return [i for block in _blocks(bands, bounds, line_height) for i in _order(block, bounds, line_height)]
    cells = _split_on_gaps(idx, b[:, 0], b[:, 2])
    if len(cells) > 1:
        return [i for cell in cells for i in _order(cell, bounds, line_height)]
    # overlapping boxes in one band: left to right, then top to bottom
    centers = (b[:, 0] + b[:, 2]) / 2, (b[:, 1] + b[:, 3]) / 2
    return idx[np.lexsort((centers[1], -centers[0] if _mostly_vertical(bounds[idx]) else centers[0]))].tolist()


def runs_down(boxes: np.ndarray) -> np.ndarray:
    """Which of `boxes` (N x 4 x 2) hold a vertical line: clearly taller than wide."""
    sides = np.linalg.norm(boxes - np.roll(boxes, -1, axis=1), axis=2)
    return sides[:, [1, 3]].mean(axis=1) >= VERTICAL_ASPECT * sides[:, [0, 2]].mean(axis=1)


def titles_outside_columns(across: np.ndarray, columns: np.ndarray) -> bool:
    """Whether lines across (N x 4 x 2) all stand above or below vertical columns (M x 4 x 2),
    as a title or a footer does over CJK set vertically. On a page turned a quarter, stray lines
    across (vertical text in the upright page) stand among its lines instead."""
    if len(across) == 0 or len(columns) == 0:
        return False
    tolerance = 0.5 * float(np.median(columns[:, :, 0].max(axis=1) - columns[:, :, 0].min(axis=1)))
    top, bottom = columns[:, :, 1].min(), columns[:, :, 1].max()
    above = across[:, :, 1].max(axis=1) <= top + tolerance
    below = across[:, :, 1].min(axis=1) >= bottom - tolerance
    return bool((above | below).all())


def _vertical_columns(idx: np.ndarray, bounds: np.ndarray) -> list[np.ndarray] | None:
    """Columns right to left, if the group splits on gaps across into pieces that all are
    vertical lines (columns of vertical text: read before its rows are looked for,
    since a column the detector cut into characters would otherwise be cut into rows)."""
    cells = _split_on_gaps(idx, bounds[idx, 0], bounds[idx, 2])
    if len(cells) < 2 or not all(_is_column(bounds[cell]) for cell in cells):
        return None
    return cells[::-1]


def _is_column(b: np.ndarray) -> bool:
    """Whether boxes (their bounds and narrow flags) are one vertical line: a stack taller
    than wide, mostly of boxes that are themselves tall or square (a column the detector cut
    into characters)."""
    height, width = b[:, 3].max() - b[:, 1].min(), b[:, 2].max() - b[:, 0].min()
    narrow = b[b[:, 4] > 0]
    if not (height >= VERTICAL_ASPECT * width and len(narrow) * 2 >= len(b)):
        return False
    # one stack: columns side by side bridged by a line across them are not one column
    return len(_split_on_gaps(np.arange(len(narrow)), narrow[:, 0], narrow[:, 2])) == 1


def _mostly_vertical(b: np.ndarray) -> bool:
    """Whether most of a group's boxes are vertical lines."""
    tall = ((b[:, 3] - b[:, 1]) >= VERTICAL_ASPECT * (b[:, 2] - b[:, 0])) & (b[:, 4] > 0)
    return bool(tall.sum() * 2 > len(b))


def _blocks(bands: list[np.ndarray], bounds: np.ndarray, line_height: float) -> list[np.ndarray]:
    """Rows, with runs of consecutive rows that share a column gutter joined into one block
    (a title above two columns must not make the columns' lines read across), or that
    together are vertical columns (characters side by side at the top of two columns)."""
    blocks: list[np.ndarray] = []
    start = 0
    while start < len(bands):
        end = start + 1
        while end < len(bands):
            joined = np.concatenate(bands[start : end + 1])
            if _column_split(joined, bounds[joined], line_height) is None and _vertical_columns(joined, bounds) is None:
                break
            end += 1
        blocks.append(np.concatenate(bands[start:end]))
        start = end
    return blocks


def _split_on_gaps(idx: np.ndarray, starts: np.ndarray, ends: np.ndarray) -> list[np.ndarray]:
    """Groups of `idx` separated by empty stretches of the projection on one axis."""
    order = np.argsort(starts, kind="stable")
    reach = np.maximum.accumulate(ends[order])
    breaks = np.nonzero(starts[order][1:] > reach[:-1])[0] + 1
    return [idx[part] for part in np.split(order, breaks)]


def _column_split(idx: np.ndarray, b: np.ndarray, line_height: float) -> list[np.ndarray] | None:
    """Columns left to right, if a gutter as wide as a line is tall runs the whole group
    and the lines on either side of it are running text."""
    order = np.argsort(b[:, 0], kind="stable")
    reach = np.maximum.accumulate(b[order, 2])
    gaps = b[order, 0][1:] - reach[:-1]
    cut_points = np.nonzero(gaps >= line_height)[0] + 1
    if len(cut_points) == 0:
        return None
    parts = [idx[part] for part in np.split(order, cut_points)]
    part_bounds = [b[part] for part in np.split(order, cut_points)]
    for pb in part_bounds:
        aspect = (pb[:, 2] - pb[:, 0]) / np.maximum(pb[:, 3] - pb[:, 1], 1.0)
        if len(pb) < 2 or float(np.median(aspect)) < _TEXT_LINE_ASPECT:
            return None
    return parts


# The no-text fallback reads an image as one line only if it could be one: a strip longer
# than this many times its height is not a word the detector missed (the dev lines reach 17;
# a blank 8 x 16384 PNG of 231 bytes cost 6 s of recogniser as a line)
MAX_LINE_ASPECT = 50


def could_be_one_line(height: int, width: int) -> bool:
    return max(height, width) <= MAX_LINE_ASPECT * min(height, width)


def looks_like_one_line(boxes: np.ndarray, height: int, width: int) -> bool:
    """Auto mode: the image is one text line if what the detector found is a single row
    that fills most of the image's height (a cropped line); where most boxes are vertical
    lines, a single column that fills most of its width (tall columns side by side overlap
    vertically, but are a page). Decided on the boxes levelled by the page's skew: two lines
    of a skewed page overlap vertically too."""
    boxes = levelled(boxes)
    if runs_down(boxes).sum() * 2 > len(boxes):
        boxes, height = boxes[:, :, ::-1], width  # columns: the same test across
    top, bottom = boxes[:, :, 1].min(axis=1), boxes[:, :, 1].max(axis=1)
    one_row = top.max() < bottom.min()  # every box overlaps every other vertically
    return bool(one_row and (bottom.max() - top.min()) >= 0.6 * height)
