"""The teacher: the default pack's recogniser (PP-OCRv6, [N,3,48,W], W/8 frames, 18708
characters + blank + space) reads every rendered line once; what it read is cached with
the line (see data.py)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ocr_engine.ctc import best_path, collapse
from ocr_engine.packs import DEFAULT_PACK, ModelPack, local_packs_dir
from ocr_engine.preprocess import pad_batch
from ocr_engine.recognize import RecognizerParams

TOP_K = 5  # per-frame soft targets kept: the rest of the mass is nearly always < 1 %


@dataclass
class TeacherReading:
    text: str
    confidence: float
    top_classes: np.ndarray  # [T, TOP_K] int16, teacher class ids
    top_probs: np.ndarray  # [T, TOP_K] float16


class Teacher:
    def __init__(self, pack: ModelPack | None = None, threads: int = 1):
        from ocr_engine.runtime import create_session

        self.pack = pack or ModelPack.load(local_packs_dir() / DEFAULT_PACK)
        rec = self.pack.model("rec")
        self.session = create_session(rec.path, threads)
        self.input_name = self.session.get_inputs()[0].name
        self.charset = self.pack.charset
        self.params = RecognizerParams(height=rec.input.get("height", 48))

    def read(self, strips: list[np.ndarray]) -> list[TeacherReading]:
        """Strips at the teacher's height, read one at a time: padding a batch to its widest
        strip changes what the teacher reads (recognize.py), and the cache must hold what
        the engine would say."""
        readings = []
        for strip in strips:
            width = self.params.padded_width(strip.shape[1])
            probs = self.session.run(None, {self.input_name: pad_batch([strip], width)})[0][0]
            frames = int(np.ceil(strip.shape[1] / self.params.stride))
            probs = probs[:frames]
            classes, scores = best_path(probs[None])
            text, confidence = collapse(classes[0], scores[0], self.charset)
            top = np.argsort(-probs, axis=-1)[:, :TOP_K]
            readings.append(TeacherReading(text, confidence, top.astype(np.int16),
                                           np.take_along_axis(probs, top, axis=-1).astype(np.float16)))
        return readings
