"""Training lines: the corpus's generators (training/corpus.py) mixed by weight, restricted to
a charset and a length, part of them cut short as a detector's lines often are; deterministic
for a given seed."""

from __future__ import annotations

import bisect
import itertools
import random

from .corpus import GENERATORS, Generator
from .traditional import to_traditional

MAX_CHARS = 32
# Detected lines are often short (a field, an amount, a few words): part of the lines are
# cut to a few words so that the mix of lengths is closer to what a detector hands over.
SHORT_SHARE = 0.35


class LineTexts:
    """Lines from the weighted generators, restricted to `charset` (characters outside
    it are dropped) and to MAX_CHARS; deterministic for a given `seed`."""

    def __init__(self, charset: set[str], seed: int, weights: dict[str, float] | None = None,
                 extra: dict[str, Generator] | None = None, traditional_share: float = 0.0,
                 cell_share: float = 0.0):
        """`extra`: more generators by name (a user's corpus), weighted in `weights`;
        `traditional_share`: of the lines, written in traditional characters (`to_traditional`);
        `cell_share`: of the lines, one to three characters, as a table's cells hold (`_cell`)."""
        self.rng = random.Random(seed)
        self.charset = charset
        self.traditional_share = traditional_share
        self.cell_share = cell_share
        self.generators = {name: generate for name, (generate, _) in GENERATORS.items()} | (extra or {})
        weights = weights or {name: w for name, (_, w) in GENERATORS.items()}
        self.names = list(weights)
        self.cumulative = list(itertools.accumulate(weights[n] for n in self.names))

    def __iter__(self):
        return self

    def __next__(self) -> tuple[str, str]:
        while True:
            name = self.names[bisect.bisect(self.cumulative, self.rng.random() * self.cumulative[-1])]
            text = self.generators[name](self.rng)
            if self.traditional_share and self.rng.random() < self.traditional_share:
                text = to_traditional(text, self.charset)
            text = "".join(ch for ch in text if ch in self.charset)
            text = " ".join(text.split())
            if self.cell_share and self.rng.random() < self.cell_share:
                text = self._cell(text)
            elif self.rng.random() < SHORT_SHARE:
                text = self._short_piece(text)
            if len(text) > MAX_CHARS:
                start = self.rng.randint(0, len(text) - MAX_CHARS)
                text = text[start : start + MAX_CHARS].strip()
            if text:
                return name, text

    def _cell(self, text: str) -> str:
        """A table cell's text: a small count or price, or one to three of the line's characters
        (a unit, a yes or no, a grade, a name's character). A line's few characters are what the
        rest of the lines seldom give the student's doubt to learn from: a lone character read
        wrong looks sure of itself."""
        rng = self.rng
        if rng.random() < 0.4:
            number = rng.choice([str(rng.randint(0, 20)), str(rng.randint(0, 999)), f"{rng.uniform(0, 99):.2f}"])
            return "".join(ch for ch in number if ch in self.charset)
        characters = text.replace(" ", "")
        length = rng.choice([1, 1, 1, 2, 2, 3])
        start = rng.randint(0, max(0, len(characters) - length))
        return characters[start : start + length]

    def _short_piece(self, text: str) -> str:
        words = text.split(" ")
        if len(words) > 1:
            start = self.rng.randrange(len(words))
            return " ".join(words[start : start + self.rng.randint(1, 3)])
        length = self.rng.randint(1, 8)  # single characters too: price tags, table cells
        start = self.rng.randint(0, max(0, len(text) - length))
        return text[start : start + length]
