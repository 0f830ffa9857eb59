"""crnn-v6t's loss (see training/tiny_train.py), on whatever device the batch is on:
tiny_train on the CPU, tiny_gpu on a lent GPU."""

from __future__ import annotations

import torch

from .tiny_config import TinyConfig


def _valid(frames: torch.Tensor, t: int) -> torch.Tensor:
    return torch.arange(t, device=frames.device)[None, :] < frames[:, None]


def losses(model, neck_reference, batch, step: int, config: TinyConfig) -> dict[str, torch.Tensor]:
    x, frames, targets, target_lengths, weights, soft_ids, soft_probs = batch
    features = model.sequence_features(x)  # [N, T, 160]
    logits = model.fc1(model.fc0(features))
    log_probs = logits.log_softmax(-1)
    t = logits.shape[1]
    valid = _valid(frames, t)
    ctc = torch.nn.functional.ctc_loss(log_probs.transpose(0, 1), targets, frames, target_lengths, blank=0,
                                       reduction="none", zero_infinity=True) / target_lengths.clamp(min=1)
    out = {"ctc": (ctc * weights).sum() / weights.sum()}
    kd = -(soft_probs[:, :t] * log_probs.gather(-1, soft_ids[:, :t])).sum(-1)
    out["kd"] = (kd * valid).sum() / valid.sum()
    neck_weight = max(0.0, 1.0 - step / config.neck_steps) if config.neck_steps else 0.0
    out["neck"] = torch.zeros((), device=x.device)
    if neck_weight > 0 and neck_reference is not None:
        reference = torch.from_numpy(neck_reference.run(None, {"x": x.numpy()})[0]).transpose(1, 2)
        error = ((features - reference) ** 2).mean(-1)
        out["neck"] = (error * valid).sum() / valid.sum()
    out["total"] = out["ctc"] + config.kd_weight * out["kd"] + neck_weight * out["neck"]
    return out
