"""Reading order: text lines top-to-bottom and left-to-right, text columns kept apart.

A recursive XY-cut on the boxes' bounds. Rows come first (a receipt reads
"TOTAL ... RM 15.90" across); a vertical gutter splits a group into columns only
when both sides look like running text (long lines), so tables stay row by row
and two-column text is read one column after the other."""

from __future__ import annotations

import numpy as np

# A line of running text is many characters long; table cells and numbers are short.
_TEXT_LINE_ASPECT = 6.0
# Boxes of one row overlap a little vertically when a page is slightly skewed.
_ROW_TOLERANCE = 0.25


def reading_order(boxes: np.ndarray) -> list[int]:
    """Indices of `boxes` (N x 4 x 2, input coordinates) in reading order."""
    if len(boxes) == 0:
        return []
    bounds = np.concatenate([boxes.min(axis=1), boxes.max(axis=1)], axis=1).astype(np.float64)
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
    return idx[np.lexsort((centers[1], centers[0]))].tolist()


def _blocks(bands: list[np.ndarray], bounds: np.ndarray, line_height: float) -> list[np.ndarray]:
    """Rows, with runs of consecutive rows that share a column gutter joined into one block
    (a title above two columns must not make the columns' lines read across)."""
    blocks: list[np.ndarray] = []
    start = 0
    while start < len(bands):
        end = start + 1
        while end < len(bands):
            joined = np.concatenate(bands[start : end + 1])
            if _column_split(joined, bounds[joined], line_height) is None:
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
