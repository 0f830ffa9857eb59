"""Samples -> a training batch: the student's input at height 32 (aspect jittered, part of
the lines condensed), CTC targets, and each line's loss weight by what the teacher read."""

from __future__ import annotations

import math
import random
import unicodedata

import cv2
import numpy as np
import torch

from .config import TrainConfig
from .student import INPUT_HEIGHT, STRIDE

WIDTH_STEP = 32


def normalised(text: str) -> str:
    return "".join(unicodedata.normalize("NFKC", text).casefold().split())


class Encoder:
    """Text <-> class ids: blank 0, then the characters of the charset."""

    def __init__(self, characters: list[str]):
        self.charset = ["<blank>"] + characters
        self.index = {ch: i for i, ch in enumerate(self.charset) if i}

    def encode(self, text: str) -> list[int]:
        return [self.index[ch] for ch in text if ch in self.index]


def _student_input(image: np.ndarray, rng: random.Random, max_width: int,
                   condense_share: float = 0.0) -> np.ndarray | None:
    """Height 32 (from the stored 48), with the aspect ratio jittered ±10 %: detectors'
    crops and fonts vary in width; `condense_share` of the lines squeezed to 55-90 % of
    their width, as receipt printers' condensed fonts are (the shipped weights drop what is
    left of a comma in such lines: dev lines read in full once stretched 1.7x)."""
    height, width = image.shape[:2]
    squeeze = rng.uniform(0.55, 0.9) if rng.random() < condense_share else rng.uniform(0.9, 1.1)
    new_width = max(STRIDE * 2, int(round(width * INPUT_HEIGHT / height * squeeze)))
    if new_width > max_width:
        return None
    return cv2.resize(image, (new_width, INPUT_HEIGHT), interpolation=cv2.INTER_AREA)


def make_batch(samples, encoder: Encoder, rng: random.Random, config: TrainConfig):
    """NCHW in [-1, 1] right-padded with the model's zero (as the engine pads), with
    per-line frame counts, CTC targets and loss weights."""
    strips, targets, weights, keep = [], [], [], []
    for sample in samples:
        strip = _student_input(sample.image(), rng, config.max_width, config.condense_share)
        target = encoder.encode(sample.text)
        if strip is None or not target:
            continue
        frames = math.ceil(strip.shape[1] / STRIDE)
        repeats = sum(a == b for a, b in zip(target, target[1:]))
        if frames < len(target) + repeats:
            continue
        strips.append(strip)
        targets.append(target)
        agrees = normalised(sample.teacher) == normalised(sample.text)
        weights.append(config.weight_teacher_agrees if agrees else config.weight_teacher_differs)
        keep.append(sample.keepable and "," not in sample.text and "，" not in sample.text)
    if not strips:
        return None
    # widths in steps of 32 px: every new input shape costs the CPU kernels' caches memory
    width = math.ceil(max(s.shape[1] for s in strips) / WIDTH_STEP) * WIDTH_STEP
    if rng.random() < 0.3:  # sometimes more padding than the batch needs: the engine pads short lines
        width += WIDTH_STEP * rng.randint(1, 4)
    batch = np.zeros((len(strips), 3, INPUT_HEIGHT, width), dtype=np.float32)
    for i, strip in enumerate(strips):
        batch[i, :, :, : strip.shape[1]] = strip.transpose(2, 0, 1).astype(np.float32) / 127.5 - 1.0
    return (torch.from_numpy(batch), torch.tensor([math.ceil(s.shape[1] / STRIDE) for s in strips]),
            torch.tensor([t for target in targets for t in target]), torch.tensor([len(t) for t in targets]),
            torch.tensor(weights), torch.tensor(keep))
