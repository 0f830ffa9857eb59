"""A PDF page read from its own text layer instead of OCR: PDFium's characters and their boxes
(pdf_child.text_layer_of, in the render's pixels) grouped into lines as the OCR path gives
them: one Line per line PDFium breaks, with the 4-point box around its characters,
confidence 1.0, in the engine's reading order. The text is PDFium's own, character for
character (its get_text_range: ligatures expanded to their letters, a CJK compatibility
ideograph as its unified form, runs of spaces as PDFium spaces them).

`text_layer` decides which pages are read this way:
- `auto` (the default): a page whose text layer is usable, unless the page is a scan with
  visible text on it (a few typed words or a stamp over a scanned image): OCR reads the scan
  and the typed words together. A scan under an invisible OCR layer (render mode 3, what
  OCRmyPDF and our searchable PDF write) is read from that layer.
- `ignore`: every page is OCRed.
- `only`: every page is read from its text layer, whatever it holds; a page without text
  comes back with no lines (and `source: "text"`: nothing was OCRed). Nothing is rendered.
Images and TIFFs have no text layer: they are always OCRed."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

import numpy as np

from .layout import reading_order
from .result import Line
from .words import words_from_boxes

TEXT_LAYER_MODES = ("auto", "ignore", "only")
# Usable: at least this many printable characters...
MIN_TEXT_CHARS = 3
# ...of which at most this share are what fonts without a Unicode map yield (private use,
# U+FFFD, control characters): such a layer is garbage, and OCR reads the glyphs.
MAX_UNMAPPED_SHARE = 0.1
# One image covering this much of the page makes it a scan.
SCAN_COVER = 0.8
LINE_BREAKS = "\r\n"


@dataclass(frozen=True)
class TextLayerPage:
    """A page read from its text layer: its size in pixels at the render scale, and its lines."""

    width: int
    height: int
    lines: list[Line]
    image: np.ndarray | None = None  # the page rendered, only when the tables stage needs its rules


def text_layer_page(layer: dict, mode: str) -> TextLayerPage | None:
    """The page from `layer` (what the PDF child answered), or None when it is to be OCRed."""
    chars = layer["chars"]
    if mode == "auto" and not _usable(chars, layer):
        return None
    width, height = layer["size"]
    return TextLayerPage(width, height, lines_of(chars))


def _usable(chars: list[list], layer: dict) -> bool:
    printable = [c[0] for c in chars if len(c) > 1 and not c[0].isspace()]
    unmapped = sum(unicodedata.category(c) in ("Co", "Cc", "Cs") or c == "\ufffd" for c in printable)
    if len(printable) - unmapped < MIN_TEXT_CHARS or unmapped > MAX_UNMAPPED_SHARE * len(printable):
        return False
    return not (layer["image_cover"] >= SCAN_COVER and layer["visible"])


def lines_of(chars: list[list]) -> list[Line]:
    """PDFium's characters, split where it breaks lines, as Lines in reading order."""
    lines: list[Line] = []
    current: list[list] = []
    for char in chars + [[LINE_BREAKS[-1]]]:
        if char[0] in LINE_BREAKS:
            line = _line(current)
            if line is not None:
                lines.append(line)
            current = []
        else:
            current.append(char)
    if not lines:
        return []
    order = reading_order(np.array([line.box for line in lines], dtype=np.float32))
    return [lines[i] for i in order]


def _line(chars: list[list]) -> Line | None:
    text = "".join(c[0] for c in chars).strip()
    boxes = [c[1:] for c in chars if len(c) > 1]
    if not text or not boxes:
        return None
    x0, y0 = min(b[0] for b in boxes), min(b[1] for b in boxes)
    x1, y1 = max(b[2] for b in boxes), max(b[3] for b in boxes)
    # a character PDFium made up (a space between words) has no box: it only splits words
    boxed = [c for c in chars if len(c) > 1 or c[0].isspace()]
    corners = [[[c[1], c[2]], [c[3], c[2]], [c[3], c[4]], [c[1], c[4]]] if len(c) > 1 else [] for c in boxed]
    words = words_from_boxes([c[0] for c in boxed], corners)
    return Line(text, 1.0, [[x0, y0], [x1, y0], [x1, y1], [x0, y1]], words)
