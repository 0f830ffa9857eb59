"""What every rendering needs from a line: where it lies on its page (its frame), its words
with estimated boxes, its language, and text that XML can carry.

Where a format wants words (hOCR's ocrx_word, ALTO's String, the searchable PDF's text
runs) they are the line's `words`, each at the box the engine found for it (a Chinese
character is a word; see ocr_engine/words.py). A line without words (a result made before
they existed) has them estimated: the line's box cut at its spaces in proportion to the
characters' advances (a CJK character counts twice a Latin one)."""

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

    @classmethod
    def spanning(cls, points, across, along: tuple[float, float]) -> "LineFrame":
        """The rectangle turned to run along `along` (a unit vector) that holds `points`
        along it and `across` across it (a word of a line: the word's points, the line's)."""
        up = (along[1], -along[0])
        a = [x * along[0] + y * along[1] for x, y in points]
        u = [x * up[0] + y * up[1] for x, y in across]
        origin = (along[0] * min(a) + up[0] * min(u), along[1] * min(a) + up[1] * min(u))
        return cls(origin, along, up, max(a) - min(a), max(u) - min(u))

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
    """A word (`is_space` False) or a run of spaces between two, and its box; the word's own
    confidence where the engine gave one (None: the line's applies)."""

    text: str
    is_space: bool
    bbox: BBox
    confidence: float | None = None
    box: list | None = None  # the word's four points (clockwise from top-left) where the engine found them


def words_of(line: Line, page: Page) -> list[Word]:
    """The line's words in reading order with the runs of spaces between them, so that their
    texts joined are the line's text."""
    line_box = BBox.around(line.box, page)
    found = [Word(w.text, False, BBox.around(w.box, page).within(line_box), w.confidence, w.box) for w in line.words]
    if not found or "".join(w.text for w in found) != "".join(line.text.split()):
        return _estimated_words(line, page)
    words: list[Word] = []
    done = 0
    for word in found:
        start = line.text.index(word.text, done)
        if start > done:  # only spaces lie between (the texts match less the spaces)
            before = words[-1].bbox if words else BBox(word.bbox.left, word.bbox.top, word.bbox.left, word.bbox.bottom)
            words.append(Word(line.text[done:start], True, _between(before, word.bbox)))
        words.append(word)
        done = start + len(word.text)
    if done < len(line.text):
        end = words[-1].bbox
        words.append(Word(line.text[done:], True, BBox(end.right, end.top, end.right, end.bottom)))
    return words


def _between(first: BBox, second: BBox) -> BBox:
    """The gap between two words' boxes, whichever way the line runs on the page (a
    zero-width box where they touch or overlap)."""
    top, bottom = min(first.top, second.top), max(first.bottom, second.bottom)
    left, right = min(first.left, second.left), max(first.right, second.right)
    if second.left >= first.right or first.left >= second.right:  # across the page
        return BBox(min(first.right, second.right), top, max(first.left, second.left), bottom)
    if second.top >= first.bottom or first.top >= second.bottom:  # down or up the page
        return BBox(left, min(first.bottom, second.bottom), right, max(first.top, second.top))
    return BBox(first.right, first.top, first.right, first.bottom)


def _estimated_words(line: Line, page: Page) -> list[Word]:
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


WORDS_AGREE = 0.9  # cosine: words following one another within ~25 degrees of the line's box run along it


def text_runs(line: Line, page: Page) -> list[tuple[LineFrame, str, str]]:
    """Where the searchable PDF lays a line's text: (frame, text, shown) for each word, the
    text being the word and the spaces after it, `shown` the part that spans the frame (the
    word); one run for the whole line where the engine gave it no words. A word's frame runs
    along the line (the way its words follow one another) across the line's whole height."""
    words = words_of(line, page)
    if not any(word.box for word in words):
        return [(LineFrame.of(line), line.text, line.text)]
    along = LineFrame.of(line).along
    boxed = [word.box for word in words if word.box]
    if len(boxed) >= 2:
        (x0, y0), (x1, y1) = (_centre(boxed[0]), _centre(boxed[-1]))
        length = math.hypot(x1 - x0, y1 - y0)
        # the line's box says which way it runs, unless its words say otherwise (a line of a
        # page the engine turned upright has its box's corners in the page's order)
        if length > 1e-6 and ((x1 - x0) * along[0] + (y1 - y0) * along[1]) / length < WORDS_AGREE:
            along = ((x1 - x0) / length, (y1 - y0) / length)
    runs = []
    for index, word in enumerate(words):
        if word.box:
            spaces = words[index + 1].text if index + 2 < len(words) and words[index + 1].is_space else ""
            runs.append((LineFrame.spanning(word.box, line.box, along), word.text + spaces, word.text))
    return runs


def _centre(box: Sequence[Sequence[float]]) -> tuple[float, float]:
    return sum(p[0] for p in box) / len(box), sum(p[1] for p in box) / len(box)
