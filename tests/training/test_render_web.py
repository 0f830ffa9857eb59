"""The web look (training/render_web.py): banners in colour, drawn for part of the lines."""

import cv2
import numpy as np

from training.render import TEACHER_HEIGHT, LineRenderer


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
