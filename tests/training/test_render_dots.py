"""training/render_dots.py: receipt print made of dots, as dot-matrix and thermal heads print."""

import random

import cv2
import numpy as np

from training.render import LineRenderer
from training.render_dots import dot_matrix

PAPER, INK = (235, 235, 228), (30, 30, 40)


def _page_with(strokes) -> np.ndarray:
    image = np.zeros((60, 200, 3), np.uint8)
    image[...] = PAPER
    for (x0, y0, x1, y1) in strokes:
        cv2.rectangle(image, (x0, y0), (x1, y1), INK, thickness=-1)
    return image


def test_ink_becomes_dots_of_the_ink_on_the_paper():
    bar = _page_with([(20, 20, 180, 35)])  # a 16 px thick bar
    dotted = dot_matrix(random.Random(1), bar, PAPER, INK, size=40)
    colours = {tuple(c) for c in dotted.reshape(-1, 3)}
    assert colours <= {PAPER, INK}
    inside = (dotted[20:36, 20:181] == INK).all(axis=-1)
    assert 0.3 < inside.mean() < 0.97  # dotted: paper shows between dots (dots also go missing)
    assert not (dotted[45:, :] == INK).all(axis=-1).any()  # nothing far from the ink


def test_a_hairline_stroke_keeps_its_dots():
    """A stroke thinner than the grid's pitch lies between grid points more often than on
    them; it must still be printed."""
    for seed in range(5):
        dotted = dot_matrix(random.Random(seed), _page_with([(10, 30, 190, 30)]), PAPER, INK, size=40)
        assert (dotted == INK).all(axis=-1)[:, 10:191].any(axis=0).mean() > 0.5


def test_lines_without_dots_draw_as_before():
    """dot_share 0 (every shard made before it) draws no random number of its own, so those
    shards replay pixel for pixel; dot_share 1 prints every print line in dots."""
    texts = ["TOTAL 12.50", "合计：58.00元", "CASH 50.00"]
    before, now = LineRenderer(7, "v1"), LineRenderer(7, "v1", dot_share=0.0)
    assert all(np.array_equal(before.render(t), now.render(t)) for t in texts)
    dotted = LineRenderer(7, "v1", dot_share=1.0)
    assert not any(np.array_equal(LineRenderer(7, "v1").render(t), dotted.render(t)) for t in texts[:1])
