"""The dev lines (../shared/eval, kind "line"), read by the student alone the way the
engine reads a line (height 32, right-padded with the model's zero, batch 1), scored with
the eval folder's own score.py. Evaluation only: nothing here feeds training."""

from __future__ import annotations

import importlib.util
import json
import math
from functools import lru_cache
from pathlib import Path
from typing import cast

import cv2
import numpy as np
import torch

from ocr_engine.ctc import best_path, collapse
from ocr_engine.preprocess import pad_batch, resize_to_height

from .student import INPUT_HEIGHT, STRIDE

DEFAULT_EVAL_DIR = Path(__file__).resolve().parent.parent.parent / "shared" / "eval"
# Strips narrower than this are padded to it (the engine's RecognizerParams.min_width,
# written into the pack's manifest): 128 px is 32 frames; see MANIFEST for the choice.
MIN_WIDTH = 128


@lru_cache(maxsize=2)
def _score_module(eval_dir: Path):
    spec = importlib.util.spec_from_file_location("eval_score", eval_dir / "score.py")
    assert spec is not None and spec.loader is not None  # a .py path has both
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def labelled_dev_lines(eval_dir: Path = DEFAULT_EVAL_DIR) -> list[tuple[Path, str, str]]:
    """(image, text, domain) of every dev line."""
    labels = [json.loads(line) for line in (eval_dir / "labels.jsonl").read_text(encoding="utf-8").splitlines()
              if line.strip()]
    return [(eval_dir / item["file"], item["text"], item.get("domain", "")) for item in labels
            if item.get("kind") == "line"]


def dev_lines(eval_dir: Path = DEFAULT_EVAL_DIR) -> list[tuple[Path, str]]:
    return [(path, text) for path, text, _ in labelled_dev_lines(eval_dir)]


def padded_width(width: int, min_width: int = MIN_WIDTH) -> int:
    return max(min_width, math.ceil(width / STRIDE) * STRIDE)


@torch.no_grad()
def read_lines(model, images: list[np.ndarray], charset: list[str], device: str = "cpu",
               min_width: int = MIN_WIDTH) -> list[str]:
    """`charset` with the blank first. Each line alone, as the engine reads one line."""
    was_training = model.training
    model.eval()
    texts = []
    for image in images:
        strip = resize_to_height(image, INPUT_HEIGHT)
        batch = torch.from_numpy(pad_batch([strip], padded_width(strip.shape[1], min_width))).to(device)
        probs = torch.softmax(model(batch), dim=-1).cpu().numpy()
        frames = math.ceil(strip.shape[1] / STRIDE)
        classes, scores = best_path(probs[:, :frames])
        texts.append(collapse(classes[0], scores[0], charset)[0])
    model.train(was_training)
    return texts


def evaluate(model, charset: list[str], eval_dir: Path = DEFAULT_EVAL_DIR, device: str = "cpu",
             min_width: int = MIN_WIDTH) -> dict:
    """exact / CER / char F1 on all dev lines and on those with a comma."""
    lines = dev_lines(eval_dir)
    images = [cast(np.ndarray, cv2.imread(str(path), cv2.IMREAD_COLOR)) for path, _ in lines]  # the dev set's
    predictions = read_lines(model, images, charset, device, min_width)
    score = _score_module(eval_dir).score
    pairs = [(truth, pred) for (_, truth), pred in zip(lines, predictions)]
    overall = score(pairs)
    comma = score([(t, p) for t, p in pairs if "," in t or "，" in t])
    return {"exact": overall["exact"], "cer": overall["cer"], "char_f1": overall["char_f1"], "lines": overall["n"],
            "comma_exact": comma["exact"], "comma_cer": comma["cer"], "comma_lines": comma["n"]}
