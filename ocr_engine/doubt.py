"""A learnt doubt: which of a cascade's first readings its fallback re-reads, as a logistic
model over what the reading's frames show (`DoubtModel`). A confidence threshold doubts many
lines the first recogniser reads right; the model weighs the whole line's frames, the
runner-up class's share of each included, and above all the frames where the runner-up would
change the text. The default pack's cascade re-reads by one: fewer held-out lines, read
better (training/MANIFEST, "Doubt model"; fitted by `python -m training doubt`)."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property

import numpy as np

from .ctc import BLANK, emitted


@dataclass(frozen=True)
class Frames:
    """A reading's CTC frames along the strip: the best class of each, its probability, the
    runner-up class's probability and the runner-up class."""

    classes: np.ndarray  # (T,) int
    best: np.ndarray  # (T,) float
    runner_up: np.ndarray  # (T,) float
    runner_up_class: np.ndarray  # (T,) int

    # cached: several features read each of these, once per line read
    @cached_property
    def emitted(self) -> np.ndarray:
        """The frames whose class is emitted as a character (collapse's)."""
        return emitted(self.classes)

    @cached_property
    def margins(self) -> np.ndarray:
        """How far each frame's best class leads its runner-up."""
        return self.best - self.runner_up

    @cached_property
    def text_flips(self) -> np.ndarray:
        """The frames where the runner-up class winning would change the text. Most close calls
        do not: a frame at the edge of a character's run, torn between the character and a
        blank, reads the same either way; a frame torn between a blank and another character,
        or between two characters, drops, adds or swaps one."""
        before = np.r_[-1, self.classes[:-1]]  # the first frame follows nothing: it emits if not blank
        after = np.r_[self.classes[1:], BLANK]  # the last frame has no successor to change

        def emits(at: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
            # with `at` in each frame: does it emit, and does the next frame still emit?
            return (at != BLANK) & (at != before), (after != BLANK) & (after != at)

        own, own_next = emits(self.classes)
        other, other_next = emits(self.runner_up_class)
        # the frame's tokens (its class if it emits, then the next frame's class if that emits)
        # differ if their counts differ, or one each but not the same, or two each (the frame's differ)
        count, other_count = own.astype(int) + own_next, other.astype(int) + other_next
        first = np.where(own, self.classes, after)
        other_first = np.where(other, self.runner_up_class, after)
        return (count != other_count) | ((count == 1) & (first != other_first)) | (count == 2)

    @property
    def confidence(self) -> float:
        """The reading's confidence (collapse's): the mean probability of the emitted frames."""
        return _mean(self.best[self.emitted], 0.0)


def _logit(p: float) -> float:
    p = min(max(p, 1e-4), 1 - 1e-4)
    return math.log(p / (1 - p))


def _min(values: np.ndarray, empty: float) -> float:
    return float(values.min()) if len(values) else empty


def _mean(values: np.ndarray, empty: float) -> float:
    return float(values.mean()) if len(values) else empty


# what the model weighs: each a number from a reading and its frames; probabilities as logits
FEATURES: dict[str, Callable[[Frames], float]] = {
    "confidence": lambda f: _logit(f.confidence),
    "weakest_frame": lambda f: _logit(_min(f.best, 1.0)),
    "weakest_character": lambda f: _logit(_min(f.best[f.emitted], 0.0)),
    "weakest_blank": lambda f: _logit(_min(f.best[f.classes == BLANK], 1.0)),
    "narrowest_margin": lambda f: _logit(_min(f.margins, 1.0)),
    "narrowest_character_margin": lambda f: _logit(_min(f.margins[f.emitted], 0.0)),
    "strongest_runner_up": lambda f: _logit(float(f.runner_up.max(initial=0.0))),
    "runner_up_sum": lambda f: float(f.runner_up.sum()),
    "narrow_margins": lambda f: math.log1p(int((f.margins < 0.5).sum())),
    "characters_log_probability": lambda f: float(np.log(np.maximum(f.best[f.emitted], 1e-6)).sum()),
    "characters": lambda f: math.log1p(int(f.emitted.sum())),
    "doubt_sum": lambda f: float((1 - f.best).sum()),
    "narrowest_text_margin": lambda f: _logit(_min(f.margins[f.text_flips], 1.0)),
    "close_text_flips": lambda f: math.log1p(int(((f.margins < 0.5) & f.text_flips).sum())),
}


def line_features(frames: Frames, names: tuple[str, ...] | list[str]) -> np.ndarray:
    """The named FEATURES of one reading's frames."""
    return np.array([FEATURES[name](frames) for name in names])


@dataclass(frozen=True)
class DoubtModel:
    """Re-read a reading where `bias + weights . features` reaches `threshold`: the log-odds
    that the first recogniser read the line wrong, and the odds from which the fallback reads."""

    features: tuple[str, ...]
    weights: tuple[float, ...]
    bias: float
    threshold: float

    def log_odds(self, frames: Frames) -> float:
        return self.bias + float(np.dot(self.weights, line_features(frames, self.features)))

    def doubts(self, frames: Frames) -> bool:
        return self.log_odds(frames) >= self.threshold

    @classmethod
    def from_manifest(cls, spec: dict) -> DoubtModel:
        """From a pack manifest's `rec_fallback.reread.doubt`: {"weights": {feature: weight},
        "bias", "doubt_at_log_odds"}."""
        unknown = set(spec["weights"]) - set(FEATURES)
        if unknown:
            raise ValueError(f"unknown doubt features: {', '.join(sorted(unknown))}")
        return cls(tuple(spec["weights"]), tuple(float(w) for w in spec["weights"].values()), float(spec["bias"]),
                   float(spec["doubt_at_log_odds"]))

    def to_manifest(self) -> dict:
        return {"weights": dict(zip(self.features, self.weights)), "bias": self.bias,
                "doubt_at_log_odds": self.threshold}
