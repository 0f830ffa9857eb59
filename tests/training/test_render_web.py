"""The web look (training/render_web.py): banners in colour, drawn for part of the lines;
crops at the text's ends; small print; lines in traditional characters (training/traditional.py)."""

import random

import cv2
import numpy as np

from training.render import TEACHER_HEIGHT, LineRenderer
from training.render_web import tight_ends
from training.traditional import to_traditional


def _saturated(image: np.ndarray) -> bool:
    return float(np.median(cv2.cvtColor(image, cv2.COLOR_BGR2HSV)[:, :, 1])) > 100


def test_web_look_draws_colour_banners_and_print_does_not():
    texts = ["限时特价 ￥39.9", "包邮", "http://shop.example.com", "新品上市"] * 15
    web_renderer, print_renderer = LineRenderer(3, "v1", look="web"), LineRenderer(3, "v1")
    web = [web_renderer.render(t) for t in texts]
    prints = [print_renderer.render(t) for t in texts]

    assert all(image.shape[0] == TEACHER_HEIGHT and image.dtype == np.uint8 for image in web)
    assert sum(map(_saturated, web)) >= 0.15 * len(texts)
    assert sum(map(_saturated, prints)) < sum(map(_saturated, web)) / 2


def test_web_look_is_replayable_from_its_seed():
    first, again = LineRenderer(9, "v1", look="web"), LineRenderer(9, "v1", look="web")
    for text in ["玫红", "保鲜自封袋", "SALE 50%"] * 4:
        assert np.array_equal(first.render(text), again.render(text))


def _ink_margin(image: np.ndarray) -> int | None:
    """The wider of the inkless column runs at the two ends (ink: 40 grey levels off the
    line's median, either way: paper may be dark); None where the contrast is too faint."""
    grey = cv2.cvtColor(image, cv2.COLOR_BGR2GRAY).astype(int)
    inked = np.flatnonzero((abs(grey - np.median(grey)) > 40).any(axis=0))
    return max(int(inked[0]), image.shape[1] - 1 - int(inked[-1])) if inked.size else None


def test_tight_crops_leave_little_margin_beside_the_text():
    """Dark text on pale paper, the print look: with tight_share 1 the crop sits at the ink's
    ends (at most 8 % of the font size, under 4 px at height 48, or cutting in); without it,
    5-60 % of the size is left on each side."""
    texts = ["保鲜自封袋", "浅绿", "TOTAL 12.50", "销售直线：0576"] * 10
    tight, loose = LineRenderer(4, "v1", tight_share=1.0), LineRenderer(4, "v1")
    tight_margins = [m for m in (_ink_margin(tight.render(t)) for t in texts) if m is not None]
    loose_margins = [m for m in (_ink_margin(loose.render(t)) for t in texts) if m is not None]
    assert np.median(tight_margins) <= 4, tight_margins
    assert np.median(loose_margins) >= 2 * np.median(tight_margins) + 4, loose_margins


def test_tight_ends_cut_at_most_a_little_into_the_text():
    image = np.full((40, 400, 3), 255, np.uint8)
    rng = random.Random(0)
    for _ in range(50):
        width = tight_ends(rng, image, 100, 300, 40).shape[1]
        assert 200 - 2 * 0.12 * 40 - 2 <= width <= 200 + 2 * 0.08 * 40 + 2


def test_traditional_lines_keep_what_the_charset_lacks_simplified():
    charset = set("溫和全護防曬乳温护晒")
    assert to_traditional("温和全护防晒乳", charset) == "溫和全護防曬乳"
    assert to_traditional("温和全护", charset - {"護"}) == "溫和全护"
    assert to_traditional("TOTAL 12.50", charset) == "TOTAL 12.50"


def _sharpness(image: np.ndarray) -> float:
    return float(cv2.Laplacian(cv2.cvtColor(image, cv2.COLOR_BGR2GRAY), cv2.CV_64F).var())


def test_small_print_is_drawn_small_and_enlarged():
    """Drawn at 9-17 px and enlarged to 48, a line keeps few sharp edges: the print look's
    18-44 px lines keep about three times as many (measured 126 against 365)."""
    texts = ["保鲜自封袋", "浅绿", "TOTAL 12.50", "销售直线：0576"] * 10
    small, usual = LineRenderer(4, "v1", small_share=1.0), LineRenderer(4, "v1")
    small_sharpness = np.median([_sharpness(small.render(t)) for t in texts])
    assert small_sharpness < 0.6 * np.median([_sharpness(usual.render(t)) for t in texts])
    assert all(small.render(t).shape[0] == TEACHER_HEIGHT for t in texts[:4])
