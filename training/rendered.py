"""Lines rendered as they are needed, for a user's own domain (training/domain.py): part of
them from the user's corpus, the rest from the general generators; no teacher, a rendered
line's text is its truth."""

from __future__ import annotations

import random
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .corpus import GENERATORS
from .data import width_sorted_batches
from .line_texts import LineTexts
from .render import LineRenderer

DOMAIN = "domain"  # the corpus's generator name


@dataclass
class RenderedLine:
    text: str
    pixels: np.ndarray
    keepable: bool  # a general line: the starting model's reading is kept (losses.keep_loss)

    def image(self) -> np.ndarray:
        return self.pixels

    @property
    def teacher(self) -> str:  # the rendered text is the truth; make_batch weighs it as agreed
        return self.text

    @property
    def frames(self) -> int:
        return self.pixels.shape[1] // 8


def corpus_lines(path: Path) -> list[str]:
    lines = [" ".join(line.split()) for line in Path(path).read_text(encoding="utf-8").splitlines()]
    lines = [line for line in lines if line]
    if not lines:
        raise ValueError(f"{path}: no text lines")
    return lines


class RenderedPool:
    """Batches of lines rendered on demand: `domain_share` of them from the corpus (cut
    into pieces as often as the general lines are), the rest from the general generators."""

    def __init__(self, corpus: Path, charset: set[str], seed: int, domain_share: float = 0.5):
        if not 0 < domain_share < 1:
            raise ValueError(f"domain_share must be between 0 and 1, not {domain_share}")
        lines = corpus_lines(corpus)
        general = {name: weight for name, (_, weight) in GENERATORS.items()}
        domain_weight = sum(general.values()) * domain_share / (1 - domain_share)
        self.texts = LineTexts(charset, seed, weights={**general, DOMAIN: domain_weight},
                               extra={DOMAIN: lambda rng: rng.choice(lines)})
        self.renderer = LineRenderer(seed)
        self.rng = random.Random(seed)
        self.rendered = self.from_corpus = 0

    def refresh(self, log=print) -> None:
        """Nothing to load: lines are rendered as batches are asked for."""

    def describe(self) -> str:
        return f"rendered {self.rendered} (corpus {self.from_corpus})"

    def batches(self, size: int, group: int = 8) -> list[list[RenderedLine]]:
        lines = [self._line() for _ in range(size * group)]
        return width_sorted_batches(lines, size, self.rng)

    def _line(self) -> RenderedLine:
        kind, text = next(self.texts)
        self.rendered += 1
        self.from_corpus += kind == DOMAIN
        return RenderedLine(text, self.renderer.render(text), keepable=kind != DOMAIN)
