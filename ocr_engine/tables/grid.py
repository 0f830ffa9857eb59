"""Ruled tables: the grid where horizontal and vertical rules cross, and the cells merged
where a rule between two grid positions is missing."""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from .rules import Rules, Segment

# Rules closer than this many text heights are one boundary (a double rule, a thick one).
SAME_BOUNDARY = 0.5
# How far from a boundary (text heights) its rule may lie, for the merged-cell check.
RULE_REACH = 0.25

Span = tuple[int, int, int, int]  # first row, first column, last row + 1, last column + 1


@dataclass(frozen=True)
class Grid:
    """A table's grid: the x of its column boundaries, the y of its row boundaries (both
    sorted, the outer ones included) and its cells as spans of grid positions."""

    xs: list[float]
    ys: list[float]
    spans: list[Span]

    @property
    def rows(self) -> int:
        return len(self.ys) - 1

    @property
    def cols(self) -> int:
        return len(self.xs) - 1

    def contains(self, x: float, y: float) -> bool:
        return self.xs[0] <= x <= self.xs[-1] and self.ys[0] <= y <= self.ys[-1]

    def cell_at(self, x: float, y: float) -> int:
        """The index in `spans` of the cell holding the point (the nearest grid position's)."""
        row = int(np.clip(np.searchsorted(self.ys, y) - 1, 0, self.rows - 1))
        col = int(np.clip(np.searchsorted(self.xs, x) - 1, 0, self.cols - 1))
        for index, (r0, c0, r1, c1) in enumerate(self.spans):
            if r0 <= row < r1 and c0 <= col < c1:
                return index
        raise ValueError(f"no cell covers row {row}, column {col}")  # spans cover the grid: a bug


def ruled_grids(rules: Rules, line_height: float) -> list[Grid]:
    """One grid per group of crossing rules that has at least two of each direction."""
    if not rules.across or not rules.down:
        return []
    joined = cv2.dilate(cv2.bitwise_or(rules.horizontal, rules.vertical), np.ones((5, 5), np.uint8))
    _, labels = cv2.connectedComponents(joined, connectivity=8)
    groups: dict[int, tuple[list[Segment], list[Segment]]] = {}
    height, width = labels.shape
    for segment in rules.across:
        label = int(labels[_clip(segment.at, height), _clip((segment.start + segment.end) / 2, width)])
        groups.setdefault(label, ([], []))[0].append(segment)
    for segment in rules.down:
        label = int(labels[_clip((segment.start + segment.end) / 2, height), _clip(segment.at, width)])
        groups.setdefault(label, ([], []))[1].append(segment)
    grids = []
    for label, (across, down) in groups.items():
        if label and len(across) >= 2 and len(down) >= 2:
            grid = _grid(rules, across, down, line_height)
            if grid is not None:
                grids.append(grid)
    return grids


def _grid(rules: Rules, across: list[Segment], down: list[Segment], line_height: float) -> Grid | None:
    # the outer boundaries are where the rules end, also when the table has no frame
    tolerance = max(4.0, SAME_BOUNDARY * line_height)
    xs = boundaries([s.at for s in down] + [min(s.start for s in across), max(s.end for s in across)], tolerance)
    ys = boundaries([s.at for s in across] + [min(s.start for s in down), max(s.end for s in down)], tolerance)
    rows, cols = len(ys) - 1, len(xs) - 1
    if rows < 2 or cols < 2:
        return None
    reach = max(2, int(RULE_REACH * line_height))
    parent = list(range(rows * cols))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for r in range(rows):
        for c in range(cols):
            if c + 1 < cols and not rules.has_vertical(xs[c + 1], ys[r], ys[r + 1], reach):
                parent[find(r * cols + c)] = find(r * cols + c + 1)
            if r + 1 < rows and not rules.has_horizontal(ys[r + 1], xs[c], xs[c + 1], reach):
                parent[find(r * cols + c)] = find((r + 1) * cols + c)
    return Grid(xs, ys, spans_of([find(i) for i in range(rows * cols)], rows, cols))


def spans_of(owners: list[int], rows: int, cols: int) -> list[Span]:
    """Cells from each grid position's group: the rectangle around each group, row by row.
    A group that is not a rectangle (a broken rule) takes its bounding rectangle; a position
    inside it that belongs to another group keeps its own cell only if not covered."""
    found: dict[int, list[int]] = {}
    for index, owner in enumerate(owners):
        r, c = divmod(index, cols)
        box = found.setdefault(owner, [r, c, r + 1, c + 1])
        box[:] = [min(box[0], r), min(box[1], c), max(box[2], r + 1), max(box[3], c + 1)]
    covered = np.zeros((rows, cols), bool)
    spans: list[Span] = []
    for r0, c0, r1, c1 in sorted(found.values()):
        if covered[r0:r1, c0:c1].any():
            r0, c0, r1, c1 = _free_part(covered, r0, c0, r1, c1)
            if r1 <= r0:
                continue
        covered[r0:r1, c0:c1] = True
        spans.append((r0, c0, r1, c1))
    spans += [(int(r), int(c), int(r) + 1, int(c) + 1) for r, c in np.argwhere(~covered)]
    return sorted(spans)


def _free_part(covered: np.ndarray, r0: int, c0: int, r1: int, c1: int) -> Span:
    """The first grid position of the rectangle that nothing covers yet, as a 1 x 1 cell."""
    for r in range(r0, r1):
        for c in range(c0, c1):
            if not covered[r, c]:
                return r, c, r + 1, c + 1
    return r0, c0, r0, c0


def boundaries(values: list[float], tolerance: float) -> list[float]:
    """`values` sorted, those closer than `tolerance` to the previous merged into their mean."""
    merged: list[list[float]] = []
    for value in sorted(values):
        if merged and value - merged[-1][-1] <= tolerance:
            merged[-1].append(value)
        else:
            merged.append([value])
    return [float(np.mean(group)) for group in merged]


def _clip(value: float, size: int) -> int:
    return int(min(max(round(value), 0), size - 1))
