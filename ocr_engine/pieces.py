"""A cascade's re-read of the doubtful stretch of a line, not the whole line. Where the first
recogniser's doubt sits in a few frames of a long line (one torn frame in a receipt's row),
the fallback reads only that stretch, with two of the first reading's characters on each side
of it as anchors; the spliced reading keeps the first reader's characters outside the piece.
The anchors must come back as they were, or the fallback reads the whole line: a piece cut
through a glyph, or one that takes in a sliver of its neighbour, reads wrong at its edges, and
the anchors show it."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Protocol

import numpy as np

if TYPE_CHECKING:
    from .doubt import Frames

ANCHORS = 2  # characters (not spaces) kept on each side of the doubtful stretch
SUSPECT_MARGIN = 0.6  # a frame whose runner-up would change the text, leading it by less than this
SUSPECT_CHARACTER = 0.85  # a character emitted with a probability under this
WORTH_IT = 0.7  # a piece is read instead of the line only if it is narrower than this share of it


class _Reading(Protocol):
    """What a piece needs of a recognize.Reading (a dataclass: `replace` makes the spliced one)."""

    chars: list[str]
    spans: np.ndarray
    frames: Frames | None


@dataclass(frozen=True)
class Piece:
    """The stretch of a crop the fallback reads: crop pixels [left, right), and the first
    reading's characters [first, last) that lie in it, anchors included; `anchored_left` and
    `anchored_right` say whether a side ends at anchors rather than the line's end."""

    left: int
    right: int
    first: int
    last: int
    anchored_left: bool
    anchored_right: bool


def doubtful_piece(reading: _Reading, crop_width: int, frame_pixels: float) -> Piece | None:
    """The piece around the frames that make `reading` doubtful (`frame_pixels`: a frame's
    width in the crop's pixels), or None where there is none worth reading alone."""
    frames, spans, chars = reading.frames, reading.spans, reading.chars
    if frames is None or not len(chars):
        return None
    suspect = np.flatnonzero((frames.text_flips & (frames.margins < SUSPECT_MARGIN))
                             | (frames.emitted & (frames.best < SUSPECT_CHARACTER)))
    if not len(suspect):
        return None
    start, end = suspect[0] * frame_pixels, (suspect[-1] + 1) * frame_pixels
    before = int((spans[:, 1] <= start).sum())  # characters wholly left of the doubt
    after = int(np.searchsorted(spans[:, 0], end, side="left"))  # the first wholly right of it
    solid = [i for i, ch in enumerate(chars) if ch.strip()]
    left_anchors = [i for i in solid if i < before][-ANCHORS:]
    right_anchors = [i for i in solid if i >= max(after, before)][:ANCHORS]
    anchored_left, anchored_right = len(left_anchors) == ANCHORS, len(right_anchors) == ANCHORS
    first = left_anchors[0] if anchored_left else 0
    last = right_anchors[-1] + 1 if anchored_right else len(chars)
    # a side is cut (and checked by its anchors) only where characters lie beyond the anchors
    cut_left, cut_right = first > 0, last < len(chars)
    # cut halfway between the runs of the characters either side of the piece's edges
    left = int((spans[first - 1, 1] + spans[first, 0]) / 2) if cut_left else 0
    right = int(np.ceil((spans[last - 1, 1] + spans[last, 0]) / 2)) if cut_right else crop_width
    if right - left >= WORTH_IT * crop_width:
        return None
    return Piece(left, right, first, last, cut_left, cut_right)


def splice(first_reading: _Reading, piece: Piece, piece_reading: _Reading):
    """The first reading with its characters in the piece replaced by the fallback's reading of
    the piece; None where the fallback's reading does not begin and end with the anchors. A
    character read before the left anchors or after the right ones is a sliver of the
    neighbour the cut took in (the cut falls halfway between CTC runs, not between glyphs),
    which the first reading has whole: it is dropped, as is a space at either edge."""
    chars, spans = list(piece_reading.chars), piece_reading.spans
    solid = [i for i, ch in enumerate(chars) if ch.strip()]
    anchors = [_same(ch) for ch in first_reading.chars[piece.first:piece.last] if ch.strip()]
    start, end = (solid[0], solid[-1] + 1) if solid else (0, 0)
    if piece.anchored_left:
        found = [k for k in (0, 1) if [_same(chars[i]) for i in solid[k:k + ANCHORS]] == anchors[:ANCHORS]]
        if not found:
            return None
        start = solid[found[0]]
    if piece.anchored_right:
        found = [k for k in (0, 1) if [_same(chars[i]) for i in solid[len(solid) - ANCHORS - k:len(solid) - k]]
                 == anchors[-ANCHORS:]]
        if not found:
            return None
        end = solid[len(solid) - 1 - found[0]] + 1
    if end - start < ANCHORS * (piece.anchored_left + piece.anchored_right):
        return None
    moved = spans[start:end].copy()
    moved[:, :2] += piece.left
    chars = first_reading.chars[:piece.first] + chars[start:end] + first_reading.chars[piece.last:]
    spans = np.concatenate([first_reading.spans[:piece.first], moved, first_reading.spans[piece.last:]])
    confidence = float(spans[:, 2].mean()) if len(spans) else 0.0
    return replace(piece_reading, text="".join(chars), confidence=confidence, chars=chars,  # type: ignore[type-var]
                   spans=spans)


def _same(character: str) -> str:
    # the two recognisers differ on full- and half-width forms ("：" and ":"), which read alike
    return unicodedata.normalize("NFKC", character)


def read_in_pieces(read, crops: list[np.ndarray], readings: list, frame_pixels: list[float]) -> list:
    """The fallback's readings (`read`: its TextRecognizer.read) of doubted lines: of each
    line's doubtful piece where it has one and the anchors hold, else of the whole line."""
    pieces = [doubtful_piece(reading, crop.shape[1], pixels)
              for reading, crop, pixels in zip(readings, crops, frame_pixels)]
    out: list = [None] * len(crops)
    cut = {i: piece for i, piece in enumerate(pieces) if piece is not None}
    if cut:
        parts = read([np.ascontiguousarray(crops[i][:, piece.left:piece.right]) for i, piece in cut.items()])
        for (i, piece), part in zip(cut.items(), parts):
            out[i] = splice(readings[i], piece, part)
    whole = [i for i, reading in enumerate(out) if reading is None]
    if whole:
        for i, reading in zip(whole, read([crops[i] for i in whole])):
            out[i] = reading
    return out
