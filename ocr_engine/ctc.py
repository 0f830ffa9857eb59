"""CTC greedy (best-path) decoding, vectorised over frames."""

from __future__ import annotations

import numpy as np

BLANK = 0


def best_path(probs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Most likely class and its probability for every frame: (N, T, C) -> (N, T), (N, T)."""
    classes = probs.argmax(axis=-1)
    scores = np.take_along_axis(probs, classes[..., None], axis=-1)[..., 0]
    return classes, scores


def collapse(classes: np.ndarray, scores: np.ndarray, charset: list[str]) -> tuple[str, float]:
    """One line's frames (T,) to text: merge repeats, drop blanks. The confidence is the
    mean probability of the frames that emitted a character (0 for an empty line)."""
    keep = classes != BLANK
    keep[1:] &= classes[1:] != classes[:-1]
    if not keep.any():
        return "", 0.0
    text = "".join(charset[c] for c in classes[keep])
    return text, float(scores[keep].mean())
