"""crnn-v6t's inputs: the shards' lines with the teacher's per-frame top-5 (TargetSample),
batches at height 48 with CTC targets and soft targets mapped onto the student's charset,
and the held-out and dev lines read the way the engine reads a line."""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import cast

import numpy as np
import torch

from .data import load_shard, shard_paths
from .tiny_config import TinyConfig
from .tiny_student import INPUT_HEIGHT, STRIDE, WIDTH_STEP


@dataclass
class TargetSample:
    text: str
    teacher: str
    jpeg: np.ndarray
    frames: int
    top_classes: np.ndarray  # [frames, 5] teacher ids
    top_probs: np.ndarray

    def image(self) -> np.ndarray:
        import cv2

        image = cv2.imdecode(self.jpeg, cv2.IMREAD_COLOR)
        assert image is not None  # JPEG bytes that training/data.py encoded
        return image


def load_targets(folder: Path, index: int) -> list[TargetSample]:
    samples = load_shard(folder, index)
    with np.load(shard_paths(folder, index)[1], allow_pickle=False) as arrays:
        classes, probs = arrays["top_classes"], arrays["top_probs"]
    offsets = np.cumsum([0] + [s.frames for s in samples])
    return [TargetSample(s.text, s.teacher, s.jpeg, s.frames, classes[offsets[i]:offsets[i + 1]],
                         probs[offsets[i]:offsets[i + 1]].astype(np.float32)) for i, s in enumerate(samples)]


class Encoder:
    def __init__(self, characters: list[str]):
        self.charset = ["<blank>"] + characters + [" "]
        self.index = {ch: i for i, ch in enumerate(self.charset) if i}

    def encode(self, text: str) -> list[int]:
        return [self.index[ch] for ch in text if ch in self.index]


def line_targets(sample: TargetSample, image: np.ndarray, encoder: Encoder, mapping: np.ndarray, max_width: int,
                 top: int | None = None):
    """(CTC ids, teacher agrees, soft ids, soft probs) of a line, the teacher's `top` choices
    per frame mapped onto the student's charset and renormalised; None for a line CTC cannot
    train on (empty, too wide, fewer frames than it needs)."""
    from .batches import normalised  # here: the GPU trainer imports this module without ocr_engine

    target = encoder.encode(sample.text)
    frames = math.ceil(image.shape[1] / STRIDE)
    repeats = sum(a == b for a, b in zip(target, target[1:]))
    if not target or image.shape[1] > max_width or frames < len(target) + repeats:
        return None
    ids = mapping[sample.top_classes[:, :top].astype(np.int64)]
    probs = np.where(ids >= 0, sample.top_probs[:, :top], 0.0)
    probs /= np.maximum(probs.sum(-1, keepdims=True), 1e-6)
    return target, normalised(sample.teacher) == normalised(sample.text), np.maximum(ids, 0), probs


def strip_batch(strips: list[np.ndarray], rng) -> np.ndarray:
    """Lines at height 48 as the student's input: BGR to [-1, 1], right-padded with 0 to a
    multiple of WIDTH_STEP, sometimes further."""
    width = math.ceil(max(s.shape[1] for s in strips) / WIDTH_STEP) * WIDTH_STEP
    if rng.random() < 0.3:  # the engine pads short lines: the student must not read the padding
        width += WIDTH_STEP * rng.randint(1, 4)
    batch = np.zeros((len(strips), 3, INPUT_HEIGHT, width), dtype=np.float32)
    for i, strip in enumerate(strips):
        batch[i, :, :, : strip.shape[1]] = strip.transpose(2, 0, 1).astype(np.float32) / 127.5 - 1.0
    return batch


def assemble(strips: list[np.ndarray], targets: list, weights: list[float], soft_ids: list[np.ndarray],
             soft_probs: list[np.ndarray], rng):
    """One batch at height 48: the strips right-padded to a multiple of WIDTH_STEP (sometimes
    more; strip_batch), with their CTC targets, weights and soft targets."""
    batch = strip_batch(strips, rng)
    n, t_max = len(strips), batch.shape[3] // STRIDE
    ids = np.zeros((n, t_max, soft_ids[0].shape[1]), dtype=np.int64)
    probs = np.zeros((n, t_max, soft_ids[0].shape[1]), dtype=np.float32)
    for i in range(n):
        ids[i, : len(soft_ids[i])] = soft_ids[i]
        probs[i, : len(soft_probs[i])] = soft_probs[i]
    frames = torch.tensor([math.ceil(s.shape[1] / STRIDE) for s in strips])
    return (torch.from_numpy(batch), frames, torch.tensor([int(t) for target in targets for t in target]),
            torch.tensor([len(t) for t in targets]), torch.tensor(weights), torch.from_numpy(ids),
            torch.from_numpy(probs))


def make_batch(samples: list[TargetSample], encoder: Encoder, mapping: np.ndarray, config: TinyConfig, rng):
    strips, targets, weights, soft_ids, soft_probs = [], [], [], [], []
    for sample in samples:
        image = sample.image()
        found = line_targets(sample, image, encoder, mapping, config.max_width)
        if found is None:
            continue
        target, agrees, ids, probs = found
        strips.append(image)
        targets.append(target)
        weights.append(config.weight_teacher_agrees if agrees else config.weight_teacher_differs)
        soft_ids.append(ids)
        soft_probs.append(probs)
    if not strips:
        return None
    return assemble(strips, targets, weights, soft_ids, soft_probs, rng)


@torch.no_grad()
def read_texts(model, images: list[np.ndarray], charset: list[str]) -> list[str]:
    """Each line alone at height 48, right-padded as the engine pads (RecognizerParams)."""
    from ocr_engine.ctc import best_path, collapse
    from ocr_engine.preprocess import pad_batch, resize_to_height
    from ocr_engine.recognize import RecognizerParams

    params = RecognizerParams(height=INPUT_HEIGHT)
    was_training = model.training
    model.eval()
    texts = []
    for image in images:
        strip = resize_to_height(image, INPUT_HEIGHT)
        probs = model(torch.from_numpy(pad_batch([strip], params.padded_width(strip.shape[1])))).numpy()
        classes, scores = best_path(probs[:, : math.ceil(strip.shape[1] / STRIDE)])
        texts.append(collapse(classes[0], scores[0], charset)[0])
    model.train(was_training)
    freeze_backbone_norms(model, was_training)
    return texts


def evaluate(model, charset: list[str], held_out: list[TargetSample]) -> dict:
    import cv2

    from .evaluate import DEFAULT_EVAL_DIR, _score_module, dev_lines

    score = _score_module(DEFAULT_EVAL_DIR).score
    result: dict = {}
    if held_out:
        predictions = read_texts(model, [s.image() for s in held_out], charset)
        s = score(list(zip([x.text for x in held_out], predictions)))
        result |= {"held_out_exact": s["exact"], "held_out_cer": s["cer"], "held_out_lines": s["n"]}
    lines = dev_lines(DEFAULT_EVAL_DIR)
    images = [cast(np.ndarray, cv2.imread(str(p), cv2.IMREAD_COLOR)) for p, _ in lines]  # the dev set's
    predictions = read_texts(model, images, charset)
    s = score([(truth, pred) for (_, truth), pred in zip(lines, predictions)])
    return result | {"dev_exact": s["exact"], "dev_cer": s["cer"]}


def freeze_backbone_norms(model, training: bool) -> None:
    """A backbone that does not train (no parameter takes gradients) keeps its batch norms' statistics."""
    trains = any(p.requires_grad for p in model.backbone.parameters())
    model.backbone.train(training and trains)
