"""CTC line recognition, micro-batched by width; long lines read in overlapping chunks."""

from __future__ import annotations

import math
from collections.abc import Collection
from dataclasses import dataclass

import cv2
import numpy as np

from .ctc import best_path, char_spans, collapse, runner_up
from .doubt import DoubtModel, Frames
from .pieces import read_in_pieces
from .preprocess import pad_batch, resize_to_height, strip_width


@dataclass(frozen=True)
class RecognizerParams:
    height: int = 48
    # Strips narrower than this are padded to it. PP-OCR trains on 48 x 320 canvases, but
    # padding short lines that far cost time and accuracy (eval lines: exact 0.8386 at 320,
    # 0.8520 at 160, 0.8386 at 96; bench/results/2026-11-25-tuning.md).
    min_width: int = 160
    stride: int = 8  # input pixels per output frame
    max_batch: int = 8
    # a batch closes when a strip is this much wider than its first: the padding of the
    # narrower strips changes what the recogniser reads (eval pages char F1 0.9708 at 1.5,
    # 0.9716 at 1.2, 0.9714 unbatched), and batching gains little time on one thread
    max_width_growth: float = 1.2
    # ...or when its padded width summed over the batch would pass this: the recogniser's
    # attention makes memory grow with width squared (8 strips of 1536 px took 630 MB); at
    # 768 a receipt's recognition raised the page's peak by 7 MiB, not 46 (pages char F1
    # 0.9769, was 0.9768: bench/results/2026-12-06-memory.md)
    max_batch_width: int = 768
    chunk_width: int = 1024  # longer strips are read in chunks of this width...
    chunk_overlap: int = 128  # ...overlapping by this much, cut in the middle of the overlap

    @classmethod
    def from_manifest(cls, model_input: dict) -> "RecognizerParams":
        """The geometry a pack's manifest gives its recogniser (`rec.input`): height,
        pixels per frame, minimum width; PP-OCR's where it is silent (48, 8, 160)."""
        defaults = cls()
        return cls(height=model_input.get("height", defaults.height), stride=model_input.get("stride", defaults.stride),
                   min_width=model_input.get("min_width", defaults.min_width))

    def padded_width(self, width: int) -> int:
        """The input width a strip `width` pixels wide is padded to: a whole number of
        frames, and at least `min_width`."""
        return max(self.min_width, math.ceil(width / self.stride) * self.stride)


@dataclass(frozen=True)
class Reading:
    """One line crop's reading: its text, confidence and fit (`recognize_with_fit`), and
    where each character was seen: `chars` (the charset's entries, in order) and `spans`,
    a row per character of (first x, end x, score) in the crop's pixels along its width,
    from the CTC frames of the character's run (a frame is `stride` pixels of the strip).
    `weakest`: the lowest best-class probability of any frame, blanks included: a frame
    torn between a character and a blank drops or doubles a character while every
    character emitted is sure, which the confidence cannot show. `frames`: every frame's best
    class and runner-up, with their probabilities, kept where a doubt model will weigh them."""

    text: str
    confidence: float
    fit: float
    chars: list[str]
    spans: np.ndarray
    weakest: float = 1.0
    frames: Frames | None = None


@dataclass(frozen=True)
class RereadRule:
    """Which of the first recogniser's readings a cascade's fallback reads again: those
    with a confidence under `confidence` or a frame under `weakest_frame` (Reading.weakest)
    that a second look does not confirm. With `second_look_shift` (in frames), the first
    recogniser reads a doubted line again, moved right by that many frames so that its
    characters fall across the frames differently; the two readings confirm the first where
    their texts are the same and neither's confidence or weakest frame falls under the
    second look's floors. It pays only where the first recogniser's errors change with the
    shift: crnn-v6t's on real images mostly do not, so the default pack does without
    (training/MANIFEST, "Second look"). With a `model`, the model doubts instead of the two
    thresholds (ocr_engine.doubt). With `pieces`, the fallback reads only a doubted line's
    doubtful piece where the line has one (ocr_engine.pieces; not in the default pack)."""

    confidence: float
    weakest_frame: float = 0.0
    second_look_shift: float = 0.0
    second_look_confidence: float = 0.0
    second_look_weakest_frame: float = 0.0
    model: DoubtModel | None = None
    pieces: bool = False  # the fallback reads a doubted line's doubtful piece (ocr_engine.pieces)

    def doubts(self, reading: Reading) -> bool:
        if self.model is not None:
            if reading.frames is None:
                raise ValueError("a doubt model weighs a reading's frames: read with TextRecognizer.keeps_frames")
            return self.model.doubts(reading.frames)
        return reading.confidence < self.confidence or reading.weakest < self.weakest_frame

    def confirms(self, first: Reading, second: Reading) -> bool:
        return (first.text == second.text
                and min(first.confidence, second.confidence) >= self.second_look_confidence
                and min(first.weakest, second.weakest) >= self.second_look_weakest_frame)


@dataclass
class _Piece:
    line: int
    strip: np.ndarray  # H x w x 3 uint8
    keep_from: int  # frames of this piece that belong to its line: [keep_from, keep_to)
    keep_to: int


class TextRecognizer:
    """Reads line crops with one ONNX recogniser; given a `fallback` and a `reread` rule, a
    cascade: the lines the rule doubts are read again by the fallback (a stronger, slower
    recogniser), whose reading they keep. Where `keeps_frames` (always under a rule with a doubt
    model), each Reading keeps its frames (Reading.frames)."""

    def __init__(self, session, charset: list[str], params: RecognizerParams | None = None,
                 fallback: TextRecognizer | None = None, reread: RereadRule | None = None):
        self.session = session
        self.input_name = session.get_inputs()[0].name
        self.charset = charset
        self.params = params or RecognizerParams()
        self.fallback = fallback if reread else None
        self.reread_rule = reread if fallback else None
        self.keeps_frames = bool(self.reread_rule and (self.reread_rule.model or self.reread_rule.pieces))

    def recognize(self, crops: list[np.ndarray]) -> list[tuple[str, float]]:
        """Text and confidence for each line crop (BGR, text reading left to right)."""
        return [(text, confidence) for text, confidence, _ in self.recognize_with_fit(crops)]

    def recognize_with_fit(self, crops: list[np.ndarray]) -> list[tuple[str, float, float]]:
        """Text, confidence and fit for each line crop. The fit is the mean log-probability
        of the best path over all the line's frames, blanks included: how well the model
        explains the whole strip, comparable between two readings of the same crop."""
        return [(reading.text, reading.confidence, reading.fit) for reading in self.read(crops)]

    def read(self, crops: list[np.ndarray]) -> list[Reading]:
        """A Reading of each line crop (BGR, text reading left to right)."""
        return self.reread(crops, self._read_once(crops))

    def reread(self, crops: list[np.ndarray], readings: list[Reading], settled: Collection[int] = ()) -> list[Reading]:
        """`readings` of `crops`, those the reread rule doubts and a second look does not
        confirm (but the `settled` ones, the fallback's already) replaced by the fallback's
        reading of the same crop (under the rule's `pieces`, of its doubtful piece, spliced into
        the first reading: ocr_engine.pieces). The fallback's text is kept even where its confidence is
        lower: the two recognisers' confidences are not on one scale, and the fallback is
        the more accurate (training/MANIFEST, "Cascade")."""
        if self.fallback is None or self.reread_rule is None:
            return readings
        rule = self.reread_rule
        doubtful = [i for i, reading in enumerate(readings) if i not in settled and rule.doubts(reading)]
        if doubtful and rule.second_look_shift:
            second = self.look_again([crops[i] for i in doubtful], rule.second_look_shift)
            doubtful = [i for i, look in zip(doubtful, second) if not rule.confirms(readings[i], look)]
        if not doubtful:
            return readings
        again = (read_in_pieces(self.fallback.read, [crops[i] for i in doubtful], [readings[i] for i in doubtful],
                                [self._frame_pixels(crops[i]) for i in doubtful]) if rule.pieces
                 else self.fallback.read([crops[i] for i in doubtful]))
        kept = list(readings)
        for i, reading in zip(doubtful, again):
            kept[i] = reading
        return kept

    def read_either_way(self, crops: list[np.ndarray],
                        other_ways: dict[int, np.ndarray]) -> tuple[list[Reading], set[int]]:
        """A Reading of each crop, and of those with another way to be turned (`other_ways`:
        upside down, where a classifier finds a crop so; upright, where a tall box may be a
        lone glyph) the way the recogniser's best path fits better; and which crops were read
        the other way. In a cascade, a crop keeps the first recogniser's own reading only
        where the rule does not doubt it and it fits better than the other way; otherwise
        the fallback reads it both ways and decides on its own fits (the student can fit a
        short line upside down better than upright: ":2" read "2"), so a wrong turn costs
        none of the student's sure lines."""
        others = {i: np.ascontiguousarray(crop) for i, crop in other_ways.items()}
        readings = self._read_once(crops)
        other = dict(zip(others, self._read_once(list(others.values()))))
        rule, fallback = self.reread_rule, self.fallback
        doubted = [i for i in others if rule and (rule.doubts(readings[i]) or other[i].fit > readings[i].fit)]
        if fallback is not None and doubted:
            again = fallback.read([crops[i] for i in doubted] + [others[i] for i in doubted])
            for k, i in enumerate(doubted):
                readings[i], other[i] = again[k], again[len(doubted) + k]
        kept_other = {i for i in others if other[i].fit > readings[i].fit}
        for i in kept_other:
            readings[i] = other[i]
        as_read = [others[i] if i in kept_other else crop for i, crop in enumerate(crops)]
        return self.reread(as_read, readings, settled=set(doubted)), kept_other

    def _read_once(self, crops: list[np.ndarray]) -> list[Reading]:
        strips = [resize_to_height(crop, self.params.height) for crop in crops]
        pieces = [p for i, strip in enumerate(strips) for p in self._split(i, strip)]
        frames = self._run(pieces)
        results = []
        for line, (crop, strip) in enumerate(zip(crops, strips)):
            parts = [f for p, f in zip(pieces, frames) if p.line == line]
            classes = np.concatenate([part[0] for part in parts])
            scores = np.concatenate([part[1] for part in parts])
            kept = (Frames(classes, scores, np.concatenate([part[2] for part in parts]),
                           np.concatenate([part[3] for part in parts])) if self.keeps_frames else None)
            fit = float(np.log(np.maximum(scores, 1e-12)).mean()) if len(scores) else 0.0
            text, confidence = collapse(classes, scores, self.charset)
            spans = char_spans(classes, scores)
            chars = [self.charset[c] for c in classes[spans[:, 0].astype(int)]]
            # frames -> strip pixels (pieces start on frame boundaries; padding only on the
            # right, so frame t covers the strip's [t, t + 1) * stride) -> crop pixels
            to_crop = crop.shape[1] / strip.shape[1]
            spans[:, :2] = np.minimum(spans[:, :2] * self.params.stride, strip.shape[1]) * to_crop
            results.append(Reading(text, confidence, fit, chars, spans, float(scores.min(initial=1.0)), kept))
        return results

    def _frame_pixels(self, crop: np.ndarray) -> float:
        """A frame's width in `crop`'s pixels (its strip is `resize_to_height`'s)."""
        return self.params.stride * crop.shape[1] / strip_width(crop.shape, self.params.height)

    def look_again(self, crops: list[np.ndarray], frames: float) -> list[Reading]:
        """This recogniser's own readings (no fallback) of the crops moved right by `frames`
        frames of their strips, their left edge repeated: a second look (RereadRule)."""
        def shifted(crop: np.ndarray) -> np.ndarray:
            pixels = max(1, round(frames * self.params.stride * crop.shape[0] / self.params.height))
            return cv2.copyMakeBorder(crop, 0, 0, pixels, 0, cv2.BORDER_REPLICATE)

        return self._read_once([shifted(crop) for crop in crops])

    def _split(self, line: int, strip: np.ndarray) -> list[_Piece]:
        width, stride = strip.shape[1], self.params.stride
        frames = math.ceil(width / stride)
        chunk, overlap = self.params.chunk_width, self.params.chunk_overlap
        if width <= chunk:
            return [_Piece(line, strip, 0, frames)]
        starts = list(range(0, width - overlap, chunk - overlap))
        pieces = []
        for k, start in enumerate(starts):
            end = min(start + chunk, width)
            # cut at the middle of each overlap, on a frame boundary
            cut_left = 0 if k == 0 else (start + overlap // 2) // stride
            cut_right = frames if k == len(starts) - 1 else (starts[k + 1] + overlap // 2) // stride
            first = start // stride  # start is a multiple of the stride
            pieces.append(_Piece(line, strip[:, start:end], cut_left - first, cut_right - first))
        return pieces

    def _run(self, pieces: list[_Piece]) -> list[tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]]:
        """Best-path frames for every piece (classes, their probabilities and, where Readings
        keep their frames, the runner-up's probabilities and classes; else empty); one ONNX
        Runtime call per batch of similar widths. Several pieces (a page's lines) keep the
        arena warm from batch to batch and release it after the last (Session); a single line
        shrinks it as its run ends (a release after every line read made line reads 1.27x
        slower)."""
        warm = len(pieces) > 1
        out: list = [None] * len(pieces)
        order = sorted(range(len(pieces)), key=lambda i: pieces[i].strip.shape[1])
        for batch in self._batches(order, pieces):
            width = self.params.padded_width(max(pieces[i].strip.shape[1] for i in batch))
            feeds = {self.input_name: pad_batch([pieces[i].strip for i in batch], width)}
            probs = self.session.run(None, feeds, shrink=not warm)[0]
            classes, scores = best_path(probs)
            second_classes, second = (runner_up(probs, classes) if self.keeps_frames
                                      else (np.zeros((len(batch), 0), int), np.zeros((len(batch), 0))))
            # the output is not kept: the arena's region holding it is free for the release
            del probs
            for row, i in enumerate(batch):
                kept = slice(pieces[i].keep_from, pieces[i].keep_to)
                out[i] = (classes[row, kept], scores[row, kept], second[row, kept], second_classes[row, kept])
        if warm:
            self.session.release_arena()
        return out

    def _batches(self, order: list[int], pieces: list[_Piece]) -> list[list[int]]:
        batches: list[list[int]] = []
        for i in order:  # by width, narrowest first: the strip being added is the widest yet
            width = pieces[i].strip.shape[1]
            padded = max(self.params.min_width, width)
            if (
                batches
                and len(batches[-1]) < self.params.max_batch
                and width <= self.params.max_width_growth * max(pieces[batches[-1][0]].strip.shape[1],
                                                                self.params.min_width)
                and padded * (len(batches[-1]) + 1) <= self.params.max_batch_width
            ):
                batches[-1].append(i)
            else:
                batches.append([i])
        return batches
