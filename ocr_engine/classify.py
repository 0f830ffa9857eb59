"""Line orientation: which crops are upside down (PP-OCR's 0/180 degree classifier)."""

from __future__ import annotations

import numpy as np

from .preprocess import pad_batch, resize_to_height


class OrientationClassifier:
    def __init__(self, session, height: int = 48, width: int = 192, threshold: float = 0.9, batch_size: int = 16):
        self.session = session
        self.input_name = session.get_inputs()[0].name
        self.height, self.width = height, width
        self.threshold = threshold
        self.batch_size = batch_size

    def upside_down(self, crops: list[np.ndarray]) -> np.ndarray:
        """A boolean per crop: True where the model is sure it is rotated by 180 degrees."""
        flags = np.zeros(len(crops), dtype=bool)
        warm = len(crops) > 1  # a page's batches reuse the arena, released after the last (Session)
        for start in range(0, len(crops), self.batch_size):
            strips = [resize_to_height(c, self.height)[:, : self.width] for c in crops[start : start + self.batch_size]]
            probs = self.session.run(None, {self.input_name: pad_batch(strips, self.width)}, shrink=not warm)[0]
            flags[start : start + len(strips)] = (probs.argmax(axis=1) == 1) & (probs.max(axis=1) > self.threshold)
        if warm:
            self.session.release_arena()
        return flags
