"""Which scales the detector reads an image at: images under its minimum side."""

import cv2
import numpy as np

from ocr_engine.detect import TextDetector, detector_scale
from ocr_engine.preprocess import detector_size
from tests.engine.sessions import SessionRecorder


def _with_text(height: int, width: int, scale: float) -> np.ndarray:
    image = np.full((height, width, 3), 255, np.uint8)
    cv2.putText(image, "SALE 50%", (20, height // 2), cv2.FONT_HERSHEY_SIMPLEX, scale, (0, 0, 0), 3)
    return image


def _sizes_read(engine, image: np.ndarray) -> list[tuple[int, int]]:
    session = SessionRecorder(engine.detector.session)
    boxes, _ = TextDetector(session, engine.detector.params).detect(image)
    assert len(boxes)
    return [tuple(shape[2:]) for shape in session.shapes]


def test_an_image_just_under_the_minimum_side_is_read_once_upscaled(engine):
    params = engine.detector.params
    image = _with_text(640, 600, 1.0)  # small text: its own size, then upscaled, was two passes
    scale = detector_scale(640, 600, params.min_side, params.max_side)
    assert 1 < scale <= params.direct_upscale
    upscaled_width = detector_size(640, 600, scale)[1]
    assert upscaled_width > detector_size(640, 600, 1.0)[1]
    # its strips, all at the upscaled width: no pass at its own size
    assert {width for _, width in _sizes_read(engine, image)} == {upscaled_width}


def test_large_text_in_a_small_image_is_read_at_its_own_size(engine):
    image = _with_text(400, 500, 2.5)  # text ~60 px tall; upscaled to 736 it would be 110
    assert _sizes_read(engine, image) == [detector_size(400, 500, 1.0)]


def test_small_text_in_a_small_image_is_read_again_larger(engine):
    image = _with_text(400, 500, 0.5)  # text ~12 px tall
    widths = [width for _, width in _sizes_read(engine, image)]
    assert widths[0] == detector_size(400, 500, 1.0)[1]
    assert len(set(widths)) == 2 and widths[-1] > widths[0]
