"""Ruling lines in a page image: OpenCV morphology keeps the long thin runs of ink, across
(horizontal rules) and down (vertical rules), and drops text, whose strokes are short."""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

# A rule is at least this many text heights long (a Chinese character's longest stroke is about one)...
RULE_TEXT_HEIGHTS = 2.5
MIN_RULE_PIXELS = 20
# ...and thinner than this share of a text height (a filled box or a bold bar is not a rule).
MAX_RULE_THICKNESS = 0.5


@dataclass(frozen=True)
class Segment:
    """A rule: `at` is its y (a horizontal rule) or x (a vertical one); it runs from `start` to `end`."""

    at: float
    start: int
    end: int

    @property
    def length(self) -> int:
        return self.end - self.start


@dataclass(frozen=True)
class Rules:
    horizontal: np.ndarray  # masks of the rules' pixels, the page's size
    vertical: np.ndarray
    across: list[Segment]
    down: list[Segment]
    ink: np.ndarray | None = None  # the page's ink less its rules (cells.py cuts lines at its gaps)

    @classmethod
    def none(cls, height: int, width: int) -> "Rules":
        empty = np.zeros((height, width), np.uint8)
        return cls(empty, empty, [], [])

    def has_vertical(self, x: float, top: float, bottom: float, reach: int) -> bool:
        return _covered(self.vertical, x, top, bottom, reach, down=True)

    def has_horizontal(self, y: float, left: float, right: float, reach: int) -> bool:
        return _covered(self.horizontal, y, left, right, reach, down=False)


def find_rules(image: np.ndarray, line_height: float) -> Rules:
    """The page's rules (BGR or grey `image`); `line_height` sets how long a rule must be."""
    gray = image if image.ndim == 2 else cv2.cvtColor(image, cv2.COLOR_BGR2GRAY)
    # ink is white here; adaptive, so that a grey rule on a shaded row is still ink
    ink = cv2.adaptiveThreshold(gray, 255, cv2.ADAPTIVE_THRESH_MEAN_C, cv2.THRESH_BINARY_INV, 15, 10)
    length = max(MIN_RULE_PIXELS, int(RULE_TEXT_HEIGHTS * line_height))
    thickest = max(3, int(MAX_RULE_THICKNESS * line_height))
    horizontal, across = _long_runs(ink, (length, 1), thickest, across=True)
    vertical, down = _long_runs(ink, (1, length), thickest, across=False)
    text = cv2.bitwise_and(ink, cv2.bitwise_not(cv2.bitwise_or(horizontal, vertical)))
    return Rules(horizontal, vertical, across, down, text)


def _long_runs(ink: np.ndarray, kernel: tuple[int, int], thickest: int,
               across: bool) -> tuple[np.ndarray, list[Segment]]:
    """The mask of the rules one way, and each rule as a Segment."""
    runs = cv2.morphologyEx(ink, cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_RECT, kernel))
    # bridge the small breaks of a scanned or anti-aliased rule
    bridge = (9, 1) if across else (1, 9)
    runs = cv2.morphologyEx(runs, cv2.MORPH_CLOSE, cv2.getStructuringElement(cv2.MORPH_RECT, bridge))
    # the outlines' boxes: connectedComponentsWithStats took 80 ms on a 200-dpi page, this a few
    contours, _ = cv2.findContours(runs, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    segments = []
    for contour in contours:
        x, y, w, h = cv2.boundingRect(contour)
        if (h if across else w) > thickest:
            runs[y:y + h, x:x + w] = 0  # a bar or a filled box, not a rule
            continue
        segments.append(Segment(y + (h - 1) / 2, x, x + w) if across else Segment(x + (w - 1) / 2, y, y + h))
    return runs, segments


# A boundary is ruled where a rule covers this share of it.
RULED_SHARE = 0.6


def _covered(mask: np.ndarray, at: float, start: float, end: float, reach: int, down: bool) -> bool:
    """Whether the rules in `mask` cover the stretch from `start` to `end` at `at`, within `reach` pixels."""
    limit = mask.shape[1] if down else mask.shape[0]
    centre = int(round(at))
    lo, hi = max(0, centre - reach), min(limit, centre + reach + 1)
    inset = (end - start) * 0.1  # the rules crossing at its ends do not count
    first, last = int(start + inset), int(end - inset)
    if last <= first or hi <= lo:
        return False
    band = mask[first:last, lo:hi] if down else mask[lo:hi, first:last].T
    return float(band.any(axis=1).mean()) >= RULED_SHARE
