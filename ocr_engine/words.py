"""Words and their boxes from where the recogniser saw each character (PaddleOCR #10377's
idea): the CTC frames of each character's run give its place along the crop, and the crop's
geometry (preprocess.CropGeometry) takes it back to the input image.

A word is one wide character (a Chinese character, kana, a fullwidth sign such as `，`) or
a run of other characters between spaces and wide characters: `共42元` is `共`, `42`, `元`;
`价格:` is `价`, `格`, `:`; `No.8` is one word. Its confidence is the mean of its
characters' scores (as a line's is of all of them)."""

from __future__ import annotations

import unicodedata

import cv2
import numpy as np

from .detect import order_clockwise
from .preprocess import CropGeometry
from .recognize import Reading
from .result import Word


def is_wide(char: str) -> bool:
    """Chinese, Japanese and Korean characters and fullwidth forms: a word each."""
    return unicodedata.east_asian_width(char[:1]) in ("W", "F")


def char_extents(spans: np.ndarray, width: float) -> np.ndarray:
    """Each character's (left, right) along the crop. The recogniser emits a character on
    a frame or two inside its glyph: the boundary between two characters is put in the
    middle of the blank frames between their runs, and the outer edges of the first and
    last as far out as their inner ones are from their runs' middles."""
    count = len(spans)
    if count == 0:
        return np.zeros((0, 2))
    if count == 1:
        return np.array([[0.0, width]])
    middles = (spans[:, 0] + spans[:, 1]) / 2
    inner = (spans[:-1, 1] + spans[1:, 0]) / 2
    left = np.concatenate([[2 * middles[0] - inner[0]], inner])
    right = np.concatenate([inner, [2 * middles[-1] - inner[-1]]])
    return np.clip(np.stack([left, right], axis=1), 0, width)


def group_words(chars: list[str]) -> list[list[int]]:
    """Indices of the characters of each word, in order; spaces belong to none."""
    words: list[list[int]] = []
    joinable = False  # the last word can take the next character
    for index, char in enumerate(chars):
        if char.isspace():
            joinable = False
        elif is_wide(char):
            words.append([index])
            joinable = False
        elif joinable:
            words[-1].append(index)
        else:
            words.append([index])
            joinable = True
    return words


def ink_of(crop: np.ndarray) -> np.ndarray:
    """Which pixels of a line crop are ink: Otsu's threshold on its grey levels, the ink
    being the side the crop's border is not mostly on (dark on light or light on dark)."""
    grey = cv2.cvtColor(crop, cv2.COLOR_BGR2GRAY) if crop.ndim == 3 else crop
    _, dark = cv2.threshold(grey, 0, 1, cv2.THRESH_BINARY_INV + cv2.THRESH_OTSU)
    dark = dark.astype(bool)
    border = np.concatenate([dark[0], dark[-1], dark[:, 0], dark[:, -1]])
    return dark if border.mean() < 0.5 else np.logical_not(dark)


def tighten(ink: np.ndarray, left: float, right: float) -> tuple[float, float, float, float]:
    """The box (left, top, right, bottom) of the ink between `left` and `right`; the whole
    height between them where there is too little ink to trust."""
    height = ink.shape[0]
    start, end = int(np.floor(left)), int(np.ceil(right))
    part = ink[:, start:end]
    columns, rows = np.flatnonzero(part.any(axis=0)), np.flatnonzero(part.any(axis=1))
    if not len(columns) or (columns[-1] + 1 - columns[0]) < MIN_INK_SHARE * (right - left):
        return left, 0.0, right, float(height)
    return (max(left, start + columns[0]), float(rows[0]), min(right, start + columns[-1] + 1), float(rows[-1] + 1))


# ink across less than this share of a word's place is a neighbour's edge or a speck
MIN_INK_SHARE = 0.25


def words_of(reading: Reading, geometry: CropGeometry, crop: np.ndarray) -> list[Word]:
    """The words of `reading`, the reading of `crop`, boxed in the image `geometry` cut the
    crop from: each word's place along the crop from the CTC frames, cut to its ink."""
    height, width = geometry.shape
    extents = char_extents(reading.spans, width)
    if not len(extents):
        return []
    ink = ink_of(crop)
    words = []
    for indices in group_words(reading.chars):
        left, top, right, bottom = tighten(ink, extents[indices[0], 0], extents[indices[-1], 1])
        corners = np.array([[left, top], [right, top], [right, bottom], [left, bottom]], dtype=np.float32)
        box = order_clockwise(geometry.to_image(corners)).round().astype(int).tolist()
        text = "".join(reading.chars[i] for i in indices)
        words.append(Word(text, float(reading.spans[indices, 2].mean()), box))
    return words


def words_from_boxes(chars: list[str], boxes: list[list[list[float]]], confidence: float = 1.0) -> list[Word]:
    """Words from characters whose boxes are known (a PDF's own text): the same cut as for a
    reading, each word boxed by the box around its characters' (4 points, clockwise from
    top-left, rounded to pixels)."""
    words = []
    for indices in group_words(chars):
        points = np.array([point for i in indices for point in boxes[i]], dtype=np.float64)
        (left, top), (right, bottom) = points.min(axis=0), points.max(axis=0)
        box = np.array([[left, top], [right, top], [right, bottom], [left, bottom]]).round().astype(int).tolist()
        words.append(Word("".join(chars[i] for i in indices), confidence, box))
    return words
