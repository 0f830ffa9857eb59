"""The teacher: PP-OCRv6 small's recogniser (the pack TEACHER_PACK, [N,3,48,W], W/8 frames,
18708 characters + blank + space) reads every rendered line once; what it read is cached
with the line (see data.py)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ocr_engine.ctc import best_path, collapse
from ocr_engine.packs import ModelPack, local_packs_dir
from ocr_engine.preprocess import pad_batch
from ocr_engine.recognize import RecognizerParams

# Named apart from the service's default pack (ocr_engine.packs.DEFAULT_PACK, the same pack
# today), so that the default may change without changing what the shards were taught by
TEACHER_PACK = "ppocr-v6"
TOP_K = 5  # per-frame soft targets kept: the rest of the mass is nearly always < 1 %


def teacher_pack() -> ModelPack:
    return ModelPack.load(local_packs_dir() / TEACHER_PACK)


@dataclass
class TeacherReading:
    text: str
    confidence: float
    top_classes: np.ndarray  # [T, TOP_K] int16, teacher class ids
    top_probs: np.ndarray  # [T, TOP_K] float16


class Teacher:
    def __init__(self, pack: ModelPack | None = None, threads: int = 1):
        from ocr_engine.runtime import create_session

        self.pack = pack or teacher_pack()
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
