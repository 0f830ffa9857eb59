"""The parts word boxes are made of: the crop's geometry takes a point of a line crop back
to the image it was cut from (slanted, tall and upside-down crops: the pixels agree); CTC
runs give each character its frames; characters part halfway; words are cut as the API
says."""

import cv2
import numpy as np
import pytest

from ocr_engine.ctc import best_path, char_spans, collapse
from ocr_engine.preprocess import CropGeometry, crop_quad, upright_line
from ocr_engine.words import char_extents, group_words, words_from_boxes


def smooth_image(height: int = 400, width: int = 500) -> np.ndarray:
    noise = np.random.default_rng(7).integers(0, 255, (height // 8, width // 8, 3), dtype=np.uint8)
    return cv2.resize(noise, (width, height), interpolation=cv2.INTER_CUBIC)


def disagreement(image: np.ndarray, crop: np.ndarray, geometry: CropGeometry) -> float:
    """Mean grey-level difference between the crop's pixels and the image's where the
    geometry says they came from (inner pixels, sampled bilinearly)."""
    height, width = crop.shape[:2]
    ys, xs = np.mgrid[2 : height - 2, 2 : width - 2]
    points = geometry.to_image(np.stack([xs.ravel(), ys.ravel()], axis=1).astype(np.float32))
    maps = points.reshape(ys.shape + (2,))
    sampled = cv2.remap(image, maps[..., 0], maps[..., 1], cv2.INTER_LINEAR)
    return float(np.abs(sampled.astype(int) - crop[2 : height - 2, 2 : width - 2].astype(int)).mean())


@pytest.mark.parametrize("box", [
    [[60, 80], [400, 100], [396, 150], [56, 130]],  # a slanted line
    [[200, 40], [250, 40], [250, 360], [200, 360]],  # a column: the crop is turned to read across
    [[120, 50], [170, 60], [150, 330], [100, 320]],  # a slanted column
], ids=["slanted", "column", "slanted column"])
def test_a_crops_pixels_come_from_where_its_geometry_says(box):
    image = smooth_image()
    box = np.float32(box)
    crop, geometry = crop_quad(image, box), CropGeometry.of_quad(box)
    assert crop.shape[:2] == geometry.shape
    assert disagreement(image, crop, geometry) < 6
    turned = np.ascontiguousarray(crop[::-1, ::-1])  # a line the classifier found upside down
    assert disagreement(image, turned, geometry.turned(2)) < 6
    assert disagreement(image, turned, geometry) > 3 * disagreement(image, turned, geometry.turned(2))
    if geometry.turns:  # a tall crop read as it stood, in case it holds one glyph upright
        standing = np.ascontiguousarray(np.rot90(crop, -1))
        assert disagreement(image, standing, geometry.turned(-1)) < 6


def test_a_whole_image_read_as_a_line_maps_back_too():
    image = smooth_image(300, 60)  # tall: read as a column turned across
    geometry = CropGeometry.of_image(image.shape)
    assert geometry.turns == 1 and disagreement(image, upright_line(image), geometry) < 1


def test_each_character_keeps_the_frames_of_its_run():
    charset = ["<blank>", "a", "b", " "]
    classes = [1, 1, 0, 1, 2, 2, 0, 0, 3, 2]
    probs = np.full((1, len(classes), 4), 0.02, np.float32)
    probs[0, np.arange(len(classes)), classes] = np.linspace(0.5, 0.9, len(classes))
    best, scores = best_path(probs)
    spans = char_spans(best[0], scores[0])
    assert collapse(best[0], scores[0], charset)[0] == "aab b"
    assert spans[:, :2].tolist() == [[0, 2], [3, 4], [4, 6], [8, 9], [9, 10]]
    assert spans[:, 2] == pytest.approx(scores[0, [0, 3, 4, 8, 9]])


def test_characters_meet_halfway_between_their_runs():
    spans = np.array([[10, 12, 1], [20, 22, 1], [30, 31, 1]], float)
    assert char_extents(spans, 100).tolist() == [[6, 16], [16, 26], [26, 35]]  # outer edges mirror the inner ones


def test_words_are_cjk_characters_alone_and_runs_of_the_rest_between_spaces():
    words = group_words(list("共42元, No.8 价格:3"))
    texts = ["".join("共42元, No.8 价格:3"[i] for i in word) for word in words]
    assert texts == ["共", "42", "元", ",", "No.8", "价", "格", ":3"]
    fullwidth = group_words(list("你好，世界"))
    assert len(fullwidth) == 5  # a fullwidth comma is a word of its own, as a Chinese character is


def test_characters_with_known_boxes_make_words_boxed_around_them():
    chars = list("价格: 42元")
    boxes = [[[10 * i, 0], [10 * i + 8, 0], [10 * i + 8, 12], [10 * i, 12]] for i in range(len(chars))]
    words = words_from_boxes(chars, boxes)
    assert [w.text for w in words] == ["价", "格", ":", "42", "元"]
    assert words[3].box == [[40, 0], [58, 0], [58, 12], [40, 12]] and words[3].confidence == 1.0
