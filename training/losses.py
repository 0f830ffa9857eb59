"""The two terms of the loss (training/train.py's docstring says why): CTC on the rendered
text, weighted per line, and the KL term that keeps the reference network's readings."""

from __future__ import annotations

import torch


def ctc_loss(logits, frames, targets, target_lengths, weights):
    log_probs = logits.log_softmax(-1).transpose(0, 1)  # [T, N, C]
    per_line = torch.nn.functional.ctc_loss(log_probs, targets, frames, target_lengths, blank=0,
                                            reduction="none", zero_infinity=True)
    per_line = per_line / target_lengths.clamp(min=1)
    return (per_line * weights).sum() / weights.sum()


def keep_loss(logits, reference_logits, frames, keep):
    """Mean KL(reference || student) over the frames of the lines in `keep`."""
    reference = reference_logits.softmax(-1)
    divergence = (reference * (reference.clamp_min(1e-8).log() - logits.log_softmax(-1))).sum(-1)  # [N, T]
    valid = (torch.arange(logits.shape[1])[None, :] < frames[:, None]) & keep[:, None]
    return (divergence * valid).sum() / valid.sum().clamp(min=1)
