"""Tables without vertical rules (borderless, or ruled across only): a run of text rows that
each hold several cells, its columns where the x-projection of those rows' line boxes has
gaps, and its rows from the text, or from the horizontal rules where they separate rows."""

from __future__ import annotations

import numpy as np

from .grid import Grid, Span, spans_of
from .rules import Rules

# Lines of one row further apart than this many text heights are separate cells (words of
# one cell are a space apart, and the detector keeps them in one line)...
CELL_GAP = 0.6
# ...and a column gap in the projection is at least this wide.
COLUMN_GAP = 0.6
# Rows further apart than this many text heights are not of one table, nor rows this much
# further apart than the run's rows usually are.
ROW_GAP, WIDER_GAP = 2.5, 0.5
# A table's run holds this many rows of several cells (two when a rule marks it as a table).
MIN_ROWS, MIN_RULED_ROWS = 3, 2
# A single-cell row closer than this many text heights under a row is its cell's text wrapped.
WRAPPED_GAP = 0.25
# Single-cell rows (a cell's second line, a section's name) held inside a run.
MAX_SINGLE_ROWS = 2
# Rows that are running text in two columns, not cells: lines longer than this many text heights.
TEXT_LINE = 8.0

Bounds = np.ndarray  # N x 4: left, top, right, bottom


def aligned_grids(bounds: Bounds, free: list[int], line_height: float, rules: Rules) -> list[tuple[Grid, list[int]]]:
    """Grids found among the lines `free` (indices into `bounds`), each with its lines."""
    rows = text_rows(bounds, free)
    found = []
    for run in _runs(rows, bounds, line_height, rules):
        made = _grid(run, bounds, line_height, rules)
        if made is not None:
            found.append(made)
    return found


def text_rows(bounds: Bounds, indices: list[int]) -> list[list[int]]:
    """The lines grouped into rows (they overlap vertically by half the lower's height), top to bottom,
    each row left to right."""
    rows: list[list[int]] = []
    bands: list[list[float]] = []
    for i in sorted(indices, key=lambda i: (bounds[i, 1] + bounds[i, 3]) / 2):
        top, bottom = bounds[i, 1], bounds[i, 3]
        if bands:
            band = bands[-1]
            overlap = min(bottom, band[1]) - max(top, band[0])
            if overlap >= 0.5 * min(bottom - top, band[1] - band[0]):
                rows[-1].append(i)
                band[:] = [min(top, band[0]), max(bottom, band[1])]
                continue
        rows.append([i])
        bands.append([top, bottom])
    return [sorted(row, key=lambda i: bounds[i, 0]) for row in rows]


def _cells_in_row(row: list[int], bounds: Bounds, line_height: float) -> int:
    count, right = 0, -np.inf
    for i in row:
        if bounds[i, 0] - right >= CELL_GAP * line_height:
            count += 1
        right = max(right, bounds[i, 2])
    return count


def _runs(rows: list[list[int]], bounds: Bounds, line_height: float, rules: Rules) -> list[list[list[int]]]:
    """Runs of rows of several cells, close together, with up to MAX_SINGLE_ROWS single-cell
    rows between. A gap wider than the run's rows have (a paragraph between two tables) ends it."""
    runs: list[list[list[int]]] = []
    run: list[list[int]] = []
    pending: list[list[int]] = []
    for row in rows:
        top = bounds[row, 1].min()
        last = pending[-1] if pending else (run[-1] if run else None)
        if last is not None:
            gap = top - bounds[last, 3].max()
            # between rows of several cells next to each other (a merged header's rows overlap)
            gaps = [bounds[b, 1].min() - bounds[a, 3].max() for a, b in zip(run, run[1:])
                    if min(_cells_in_row(a, bounds, line_height), _cells_in_row(b, bounds, line_height)) >= 2]
            usual = float(np.median(gaps)) if gaps else gap
            wider = gap > usual + WIDER_GAP * line_height
            if wider and _cells_in_row(row, bounds, line_height) >= 2 and _ruled_gap(last, row, bounds, rules):
                wider = False  # a rule over a row of cells: a table's total or its body under its header
            if gap > ROW_GAP * line_height or wider:
                runs.append(run)
                run, pending = [], []
        if _cells_in_row(row, bounds, line_height) >= 2:
            if run:
                run += pending
            run.append(row)
            pending = []
        elif run and len(pending) < MAX_SINGLE_ROWS:
            pending.append(row)
        else:
            runs.append(run)
            run, pending = [], []
    runs.append(run)
    return [run for run in runs if _enough_rows(run, bounds, line_height, rules)]


def _enough_rows(run: list[list[int]], bounds: Bounds, line_height: float, rules: Rules) -> bool:
    multi = [row for row in run if _cells_in_row(row, bounds, line_height) >= 2]
    if not multi:
        return False
    lines = [i for row in run for i in row]
    if np.mean(bounds[lines, 2] - bounds[lines, 0] > TEXT_LINE * line_height) > 0.8:
        return False  # two columns of running text
    ruled = bool(_rules_between(run, bounds, rules)[0]) or bool(_rules_between(run, bounds, rules)[1])
    return len(multi) >= (MIN_RULED_ROWS if ruled else MIN_ROWS)


def _ruled_gap(upper: list[int], lower: list[int], bounds: Bounds, rules: Rules) -> bool:
    """Whether a horizontal rule lies across the gap between two rows."""
    left, right = bounds[upper + lower, 0].min(), bounds[upper + lower, 2].max()
    above, below = _middle(upper, bounds), _middle(lower, bounds)  # boxes can reach over a rule
    return any(above < s.at < below and min(s.end, right) - max(s.start, left) >= 0.5 * (right - left)
               for s in rules.across)


def _middle(row: list[int], bounds: Bounds) -> float:
    return float(bounds[row, 1].mean() + bounds[row, 3].mean()) / 2


def _rules_between(run: list[list[int]], bounds: Bounds, rules: Rules) -> tuple[list[bool], bool]:
    """Whether a horizontal rule lies across the run between each two of its rows; whether one is over or under it."""
    lines = [i for row in run for i in row]
    left, right = bounds[lines, 0].min(), bounds[lines, 2].max()
    across = [s for s in rules.across if min(s.end, right) - max(s.start, left) >= 0.5 * (right - left)]
    between = []
    for upper, lower in zip(run, run[1:]):
        above, below = _middle(upper, bounds), _middle(lower, bounds)
        between.append(any(above < s.at < below for s in across))
    first, last = bounds[run[0], 1].min(), bounds[run[-1], 3].max()
    height = last - first
    edge = any(first - 0.3 * height <= s.at <= first or last <= s.at <= last + 0.3 * height for s in across)
    return between, edge


def _columns(run: list[list[int]], bounds: Bounds, line_height: float) -> list[tuple[float, float]]:
    """Column intervals: the x-projection of the lines of the run's fullest rows (a merged
    header's line would bridge a gap), split where it has a gap."""
    counts = [_cells_in_row(row, bounds, line_height) for row in run]
    typical = np.median([c for c in counts if c >= 2])
    lines = sorted((i for row, count in zip(run, counts) if count >= typical for i in row), key=lambda i: bounds[i, 0])
    columns: list[list[float]] = []
    for i in lines:
        if columns and bounds[i, 0] - columns[-1][1] < COLUMN_GAP * line_height:
            columns[-1][1] = max(columns[-1][1], bounds[i, 2])
        else:
            columns.append([bounds[i, 0], bounds[i, 2]])
    return [(a, b) for a, b in columns]


def _grid(run: list[list[int]], bounds: Bounds, line_height: float, rules: Rules) -> tuple[Grid, list[int]] | None:
    columns = _columns(run, bounds, line_height)
    if len(columns) < 2:
        return None
    run, spanning = _row_spans(run, columns, bounds, line_height)
    run = _wrapped(run, columns, bounds, line_height, rules)
    between, _ = _rules_between(run, bounds, rules)
    if sum(between) * 2 >= len(between) > 0:  # rules separate the rows: a row is what lies between two
        merged = [list(run[0])]
        for row, ruled in zip(run[1:], between):
            if ruled:
                merged.append(list(row))
            else:
                merged[-1] += row
        run = merged
    lines = [i for row in run for i in row]
    xs = [float(bounds[lines, 0].min())]
    xs += [(b + a) / 2 for (_, b), (a, _) in zip(columns, columns[1:])] + [float(bounds[lines, 2].max())]
    own = [[i for i in row if i not in spanning] or row for row in run]  # a row's height is its own lines'
    tops, bottoms = [bounds[row, 1].min() for row in own], [bounds[row, 3].max() for row in own]
    ys = [float(tops[0])] + [float(b + t) / 2 for b, t in zip(bottoms, tops[1:])] + [float(bottoms[-1])]
    owners = list(range(len(run) * len(columns)))
    for r, row in enumerate(run):
        for first, last in _cell_ranges(row, columns, line_height, bounds):
            down = 2 if any(i in spanning and _cell_ranges([i], columns, line_height, bounds)[0][0] == first
                            for i in row) else 1
            for k in range(down):
                for c in range(first, last + 1):
                    owners[(r + k) * len(columns) + c] = r * len(columns) + first
    spans: list[Span] = spans_of(owners, len(run), len(columns))
    return Grid(xs, ys, spans), lines


def _row_spans(run: list[list[int]], columns: list[tuple[float, float]], bounds: Bounds,
               line_height: float) -> tuple[list[list[int]], set[int]]:
    """A single-cell row between two rows whose same columns are empty, level with the line
    between them, is a cell of both (a header merged down): it joins the row above and is marked spanning."""
    run = [list(row) for row in run]
    spanning: set[int] = set()
    k = 1
    while k < len(run) - 1:
        row, above, below = run[k], run[k - 1], run[k + 1]
        if _cells_in_row(row, bounds, line_height) == 1:
            mine = {c for first, last in _cell_ranges(row, columns, line_height, bounds)
                    for c in range(first, last + 1)}
            taken = {c for other in (above, below) for first, last in _cell_ranges(other, columns, line_height, bounds)
                     for c in range(first, last + 1)}
            centre = (bounds[row, 1].min() + bounds[row, 3].max()) / 2
            if not mine & taken and bounds[above, 3].max() <= centre + 0.5 * line_height <= bounds[below, 3].max():
                above += row
                spanning.update(row)
                del run[k]
                continue
        k += 1
    return run, spanning


def _wrapped(run: list[list[int]], columns: list[tuple[float, float]], bounds: Bounds, line_height: float,
             rules: Rules) -> list[list[int]]:
    """A single-cell row set as close under the row above as lines of one paragraph are (closer
    than WRAPPED_GAP and than to the row below), in a column the row above fills and with no
    rule between, is that cell's text wrapped onto a second line: it joins the row above."""
    joined = [list(run[0])]
    for k, row in enumerate(run[1:], start=1):
        above = joined[-1]
        gap = bounds[row, 1].min() - bounds[above, 3].max()
        gap_below = bounds[run[k + 1], 1].min() - bounds[row, 3].max() if k + 1 < len(run) else np.inf
        mine = _cell_ranges(row, columns, line_height, bounds)
        filled = {c for first, last in _cell_ranges(above, columns, line_height, bounds)
                  for c in range(first, last + 1)}
        if (len(mine) == 1 and set(range(mine[0][0], mine[0][1] + 1)) <= filled and gap < gap_below
                and gap < WRAPPED_GAP * line_height and not _ruled_gap(above, row, bounds, rules)):
            above += row
        else:
            joined.append(list(row))
    return joined


def _cell_ranges(row: list[int], columns: list[tuple[float, float]], line_height: float,
                 bounds: Bounds) -> list[tuple[int, int]]:
    """The columns each of the row's cells covers, first and last; overlapping ranges merged."""
    slack = 0.2 * line_height
    ranges = []
    for i in row:
        hit = [k for k, (a, b) in enumerate(columns) if bounds[i, 2] > a + slack and bounds[i, 0] < b - slack]
        centre = (bounds[i, 0] + bounds[i, 2]) / 2
        for k, ((_, b), (a, _)) in enumerate(zip(columns, columns[1:])):  # centred over a gap: in both
            if abs(centre - (a + b) / 2) <= (a - b) / 4:
                hit += [k, k + 1]
        hit.sort()
        if not hit:  # in a gap: the nearest column
            hit = [int(np.argmin([min(abs(centre - a), abs(centre - b)) for a, b in columns]))]
        ranges.append([hit[0], hit[-1]])
    ranges.sort()
    merged: list[list[int]] = []
    for first, last in ranges:
        if merged and first <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], last)
        else:
            merged.append([first, last])
    return [(a, b) for a, b in merged]
