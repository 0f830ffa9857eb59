"""CTC line recognition, micro-batched by width; long lines read in overlapping chunks."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .ctc import best_path, collapse
from .preprocess import pad_batch, resize_to_height


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
    # attention makes memory grow with width squared (8 strips of 1536 px took 630 MB)
    max_batch_width: int = 1536
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


@dataclass
class _Piece:
    line: int
    strip: np.ndarray  # H x w x 3 uint8
    keep_from: int  # frames of this piece that belong to its line: [keep_from, keep_to)
    keep_to: int


class TextRecognizer:
    def __init__(self, session, charset: list[str], params: RecognizerParams | None = None):
        self.session = session
        self.input_name = session.get_inputs()[0].name
        self.charset = charset
        self.params = params or RecognizerParams()

    def recognize(self, crops: list[np.ndarray]) -> list[tuple[str, float]]:
        """Text and confidence for each line crop (BGR, text reading left to right)."""
        return [(text, confidence) for text, confidence, _ in self.recognize_with_fit(crops)]

    def recognize_with_fit(self, crops: list[np.ndarray]) -> list[tuple[str, float, float]]:
        """Text, confidence and fit for each line crop. The fit is the mean log-probability
        of the best path over all the line's frames, blanks included: how well the model
        explains the whole strip, comparable between two readings of the same crop."""
        pieces = [p for i, crop in enumerate(crops) for p in self._split(i, resize_to_height(crop, self.params.height))]
        frames = self._run(pieces)
        results = []
        for line in range(len(crops)):
            parts = [f for p, f in zip(pieces, frames) if p.line == line]
            classes = np.concatenate([c for c, _ in parts])
            scores = np.concatenate([s for _, s in parts])
            fit = float(np.log(np.maximum(scores, 1e-12)).mean()) if len(scores) else 0.0
            results.append((*collapse(classes, scores, self.charset), fit))
        return results

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

    def _run(self, pieces: list[_Piece]) -> list[tuple[np.ndarray, np.ndarray]]:
        """Best-path frames for every piece; one ONNX Runtime call per batch of similar widths."""
        out: list = [None] * len(pieces)
        order = sorted(range(len(pieces)), key=lambda i: pieces[i].strip.shape[1])
        for batch in self._batches(order, pieces):
            width = self.params.padded_width(max(pieces[i].strip.shape[1] for i in batch))
            probs = self.session.run(None, {self.input_name: pad_batch([pieces[i].strip for i in batch], width)})[0]
            classes, scores = best_path(probs)
            for row, i in enumerate(batch):
                piece = pieces[i]
                out[i] = (classes[row, piece.keep_from : piece.keep_to], scores[row, piece.keep_from : piece.keep_to])
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
