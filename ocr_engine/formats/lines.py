"""What every rendering needs from a line: where it lies on its page (its frame), its words
with estimated boxes, its language, and text that XML can carry.

The recogniser reads whole lines; it gives no box per character or word. Where a format
wants words (hOCR's ocrx_word, ALTO's String) their boxes are the line's box cut in
proportion to the characters' advances (a CJK character counts twice a Latin one), the
same rule that spreads the searchable PDF's invisible text over the line."""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

from ..result import Line, Page

# XML 1.0 cannot carry these (its Char production); a reading that holds one must still
# serialise, so they become U+FFFD.
_NOT_XML = re.compile("[^\t\n\r\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
_HAN = re.compile("[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003ffff]")
_LATIN_LETTER = re.compile("[A-Za-z\u00c0-\u024f]")


def xml_text(text: str) -> str:
    return _NOT_XML.sub("\ufffd", text)


def advance(char: str) -> int:
    """A character's width in half-ems: 2 for wide (CJK, fullwidth) characters, 0 for
    combining marks, 1 for the rest."""
    if unicodedata.combining(char):
        return 0
    return 2 if unicodedata.east_asian_width(char) in ("W", "F") else 1


def language_of(text: str) -> str | None:
    """ISO 639-1 code of a line read by a Chinese + English recogniser: `zh` when it holds
    a Han character, `en` when it holds Latin letters only, None for digits and signs."""
    if _HAN.search(text):
        return "zh"
    if _LATIN_LETTER.search(text):
        return "en"
    return None


def languages_of(pages: list[Page]) -> list[str]:
    found = {language for page in pages for line in page.lines if (language := language_of(line.text)) is not None}
    return sorted(found, key=["zh", "en"].index)


SCRIPTS = {"zh": "Hani", "en": "Latn"}  # ISO 15924, for hOCR's ocr-scripts


@dataclass(frozen=True)
class BBox:
    """An axis-aligned box in page pixels (x right, y down): left, top, right, bottom."""

    left: int
    top: int
    right: int
    bottom: int

    @property
    def width(self) -> int:
        return self.right - self.left

    @property
    def height(self) -> int:
        return self.bottom - self.top

    @classmethod
    def around(cls, points: Sequence[Sequence[float]], page: Page) -> "BBox":
        """The smallest box holding `points`, within the page."""
        xs, ys = [p[0] for p in points], [p[1] for p in points]
        clamp_x = lambda v: min(max(v, 0), page.width)  # noqa: E731
        clamp_y = lambda v: min(max(v, 0), page.height)  # noqa: E731
        return cls(clamp_x(math.floor(min(xs))), clamp_y(math.floor(min(ys))),
                   clamp_x(math.ceil(max(xs))), clamp_y(math.ceil(max(ys))))

    def within(self, outer: "BBox") -> "BBox":
        """This box cut to `outer` (a word's estimated box to its line's)."""
        left, top = min(max(self.left, outer.left), outer.right), min(max(self.top, outer.top), outer.bottom)
        return BBox(left, top, max(min(self.right, outer.right), left), max(min(self.bottom, outer.bottom), top))

    @classmethod
    def union(cls, boxes: list["BBox"]) -> "BBox":
        return cls(min(b.left for b in boxes), min(b.top for b in boxes),
                   max(b.right for b in boxes), max(b.bottom for b in boxes))


@dataclass(frozen=True)
class LineFrame:
    """A line's box as a rectangle turned with its text: `origin` is its bottom-left corner
    (where the text starts, on the bottom edge), `along` the unit vector in reading direction,
    `up` the unit vector from the bottom edge to the top edge (page pixels, y down)."""

    origin: tuple[float, float]
    along: tuple[float, float]
    up: tuple[float, float]
    length: float
    height: float

    @classmethod
    def of(cls, line: Line) -> "LineFrame":
        (x0, y0), (x1, y1), (x2, y2), (x3, y3) = line.box  # clockwise from the text's top-left
        ax, ay = ((x1 - x0) + (x2 - x3)) / 2, ((y1 - y0) + (y2 - y3)) / 2
        length = math.hypot(ax, ay)
        along = (ax / length, ay / length) if length > 1e-6 else (1.0, 0.0)  # a point: read it as level
        up = (along[1], -along[0])  # a quarter turn counterclockwise as seen on the page
        dx, dy = ((x3 - x0) + (x2 - x1)) / 2, ((y3 - y0) + (y2 - y1)) / 2
        height = abs(dx * up[0] + dy * up[1])
        cx, cy = (x0 + x1 + x2 + x3) / 4, (y0 + y1 + y2 + y3) / 4
        origin = (cx - along[0] * length / 2 - up[0] * height / 2, cy - along[1] * length / 2 - up[1] * height / 2)
        return cls(origin, along, up, length, height)

    @property
    def angle(self) -> float:
        """Degrees counterclockwise from horizontal, as the page is seen (hOCR's textangle)."""
        return math.degrees(math.atan2(-self.along[1], self.along[0]))

    def corners(self, start: float = 0.0, end: float = 1.0) -> list[tuple[float, float]]:
        """The corners of the part of the line from `start` to `end` (fractions of its length)."""
        (ox, oy), (ax, ay), (ux, uy) = self.origin, self.along, self.up
        a, b, h = start * self.length, end * self.length, self.height
        return [(ox + ax * a + ux * h, oy + ay * a + uy * h), (ox + ax * b + ux * h, oy + ay * b + uy * h),
                (ox + ax * b, oy + ay * b), (ox + ax * a, oy + ay * a)]


@dataclass(frozen=True)
class Word:
    """A run of non-space characters (`is_space` False) or of spaces, and its estimated box."""

    text: str
    is_space: bool
    bbox: BBox


def words_of(line: Line, page: Page) -> list[Word]:
    """The line cut at spaces, each part boxed in proportion to its characters' advances."""
    frame, line_box = LineFrame.of(line), BBox.around(line.box, page)
    runs = re.findall(r"\s+|\S+", line.text)
    total = sum(advance(c) for c in line.text) or 1
    words, done = [], 0
    for run in runs:
        width = sum(advance(c) for c in run)
        corners = frame.corners(done / total, (done + width) / total)
        words.append(Word(run, run.isspace(), BBox.around(corners, page).within(line_box)))
        done += width
    return words
