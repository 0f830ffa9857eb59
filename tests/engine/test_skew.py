"""Skewed pages (turned up to 20 degrees either way) read in the order of the upright page,
with their boxes on the lines of the turned image."""

import cv2
import numpy as np
import pytest

from ocr_engine.detect import order_clockwise
from ocr_engine.layout import reading_order
from ocr_engine.skew import MAX_SKEW_DEGREES, deskewed, skew_degrees
from tests.engine.rendered_pages import horizontal_page, rotated


def turned_rect(cx, cy, width, height, degrees):
    """A 4-point box (clockwise from top-left on screen) turned counterclockwise on screen."""
    return order_clockwise(cv2.boxPoints(((cx, cy), (width, height), -degrees)))


@pytest.mark.parametrize("degrees", [-20, -15, -5, 0, 7, 12, 18])
def test_the_skew_is_the_angle_of_the_lines(degrees):
    boxes = np.stack([turned_rect(300, 100 + 40 * i, 400, 24, degrees) for i in range(5)])
    assert skew_degrees(boxes) == pytest.approx(degrees, abs=0.5)


def test_vertical_columns_show_the_same_skew():
    columns = np.stack([turned_rect(100 + 60 * i, 300, 30, 400, 10) for i in range(4)])
    assert skew_degrees(columns) == pytest.approx(10, abs=0.5)


def test_deskewing_lines_makes_them_level():
    boxes = np.stack([turned_rect(300, 100 + 40 * i, 400, 24, 15) for i in range(3)])
    level = deskewed(boxes, skew_degrees(boxes))
    assert np.abs(level[:, 0, 1] - level[:, 1, 1]).max() < 1


@pytest.mark.parametrize("degrees", [-18, -15, -12, 12, 15, 18])
def test_the_lines_of_a_skewed_page_are_ordered_as_upright(degrees):
    # two columns of five long lines each, turned about the page's centre: columns, then rows
    centre = np.float32([400, 300])
    theta = np.radians(degrees)
    turn = np.float32([[np.cos(theta), np.sin(theta)], [-np.sin(theta), np.cos(theta)]])
    upright = [(x, 150 + 40 * row) for x in (200, 600) for row in range(5)]
    boxes = []
    for x, y in upright:
        cx, cy = (np.float32([x, y]) - centre) @ turn.T + centre
        boxes.append(turned_rect(cx, cy, 300, 24, degrees))
    shuffled = np.random.default_rng(0).permutation(len(boxes))
    assert [int(shuffled[i]) for i in reading_order(np.stack(boxes)[shuffled])] == list(range(len(boxes)))


def test_text_set_near_45_degrees_is_beyond_what_is_turned():
    # lines across or lines down? an advert's slanted text is left as it is
    boxes = np.stack([turned_rect(300, 100 + 60 * i, 300, 24, 44) for i in range(4)])
    assert skew_degrees(boxes) == pytest.approx(44, abs=0.5) and abs(skew_degrees(boxes)) > MAX_SKEW_DEGREES


@pytest.fixture(scope="module")
def page_and_upright_reading(engine):
    image, _ = horizontal_page("noto-sans", 32)
    return image, engine.read(image)


@pytest.mark.parametrize("degrees", [-18, -15, -12, 12, 15, 18])
def test_a_skewed_page_reads_as_the_upright_one(engine, scorer, page_and_upright_reading, degrees):
    image, upright = page_and_upright_reading
    turned = rotated(image, degrees)
    result = engine.read(turned)
    assert scorer([(upright.text, result.text)])["cer"] <= 0.05, result.text
    # the boxes are in the turned image's coordinates: each line's centre is where the
    # upright line's centre went
    height, width = image.shape[:2]
    matrix = cv2.getRotationMatrix2D((width / 2, height / 2), degrees, 1.0)
    matrix[:, 2] += (np.float32(turned.shape[1::-1]) - (width, height)) / 2  # PIL's expand=True
    where = {line.text: np.float32(line.box).mean(axis=0) @ matrix[:, :2].T + matrix[:, 2] for line in upright.lines}
    for line in result.lines:
        box = np.float32(line.box)
        assert box.min() >= 0 and box[:, 0].max() < turned.shape[1] and box[:, 1].max() < turned.shape[0]
        if line.text in where:
            assert np.linalg.norm(box.mean(axis=0) - where[line.text]) < 12, line.text
