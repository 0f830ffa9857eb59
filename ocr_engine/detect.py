"""DB text detection: the model's probability map -> 4-point line boxes in input pixels."""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from .preprocess import detector_size, to_blob


@dataclass(frozen=True)
class DetectorParams:
    min_side: int = 736  # short side of the detector input (PaddleOCR's limit_side_len)
    max_side: int = 2000  # long side cap
    threshold: float = 0.3  # a pixel is text above this probability
    # a box is kept if its mean probability is above this; lower than PP-OCR's 0.5 because the
    # recogniser's confidence gate (engine.MIN_LINE_CONFIDENCE) drops what is not text
    box_threshold: float = 0.4
    unclip_ratio: float = 1.6  # DB shrinks text regions in training; grow them back
    min_box_side: float = 3.0  # in detector pixels
    max_candidates: int = 3000


class TextDetector:
    def __init__(self, session, params: DetectorParams | None = None):
        self.session = session
        self.input_name = session.get_inputs()[0].name
        self.params = params or DetectorParams()

    def detect(self, image: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Boxes (N x 4 x 2 float32, clockwise from top-left) and their scores."""
        height, width = image.shape[:2]
        in_h, in_w = detector_size(height, width, self.params.min_side, self.params.max_side)
        resized = cv2.resize(image, (in_w, in_h), interpolation=cv2.INTER_LINEAR)
        probability = self.session.run(None, {self.input_name: to_blob(resized)})[0][0, 0]
        boxes, scores = boxes_from_probability(probability, self.params)
        if len(boxes):
            boxes[:, :, 0] = np.clip(boxes[:, :, 0] * (width / in_w), 0, width - 1)
            boxes[:, :, 1] = np.clip(boxes[:, :, 1] * (height / in_h), 0, height - 1)
            sides = np.linalg.norm(boxes - np.roll(boxes, -1, axis=1), axis=2)
            keep = (sides[:, [0, 2]].max(axis=1) > 3) & (sides[:, [1, 3]].max(axis=1) > 3)
            boxes, scores = boxes[keep], scores[keep]
        return boxes, scores


def boxes_from_probability(probability: np.ndarray, params: DetectorParams) -> tuple[np.ndarray, np.ndarray]:
    mask = (probability > params.threshold).astype(np.uint8)
    mask = cv2.dilate(mask, np.ones((2, 2), np.uint8))
    contours, _ = cv2.findContours(mask, cv2.RETR_LIST, cv2.CHAIN_APPROX_SIMPLE)
    boxes, scores = [], []
    for contour in contours[: params.max_candidates]:
        if len(contour) < 3:
            continue
        rect = cv2.minAreaRect(contour)
        (rect_w, rect_h) = rect[1]
        if min(rect_w, rect_h) < params.min_box_side:
            continue
        score = _mean_inside(probability, cv2.boxPoints(rect))
        if score < params.box_threshold:
            continue
        grown = _unclip(rect, params.unclip_ratio)
        if min(grown[1]) < params.min_box_side + 2:
            continue
        boxes.append(order_clockwise(cv2.boxPoints(grown)))
        scores.append(score)
    if not boxes:
        return np.zeros((0, 4, 2), np.float32), np.zeros((0,), np.float32)
    return np.stack(boxes).astype(np.float32), np.asarray(scores, np.float32)


def _unclip(rect, ratio: float):
    """Grow a rectangle by DB's offset distance (area * ratio / perimeter). Offsetting a
    rectangle by d and taking the minimum-area rectangle again adds 2d to each side, so
    no polygon clipping library is needed."""
    (cx, cy), (w, h), angle = rect
    distance = w * h * ratio / max(2 * (w + h), 1e-6)
    return (cx, cy), (w + 2 * distance, h + 2 * distance), angle


def _mean_inside(probability: np.ndarray, points: np.ndarray) -> float:
    """Mean probability inside a polygon, computed on its bounding window only."""
    height, width = probability.shape
    x0 = int(np.clip(np.floor(points[:, 0].min()), 0, width - 1))
    x1 = int(np.clip(np.ceil(points[:, 0].max()), 0, width - 1))
    y0 = int(np.clip(np.floor(points[:, 1].min()), 0, height - 1))
    y1 = int(np.clip(np.ceil(points[:, 1].max()), 0, height - 1))
    window = np.zeros((y1 - y0 + 1, x1 - x0 + 1), np.uint8)
    shifted = (points - [x0, y0]).round().astype(np.int32)
    cv2.fillPoly(window, [shifted], 1)
    return float(cv2.mean(probability[y0 : y1 + 1, x0 : x1 + 1], window)[0])


def order_clockwise(points: np.ndarray) -> np.ndarray:
    """Four points -> top-left, top-right, bottom-right, bottom-left."""
    points = points[np.argsort(points[:, 0], kind="stable")]
    left, right = points[:2], points[2:]
    top_left, bottom_left = left[np.argsort(left[:, 1], kind="stable")]
    top_right, bottom_right = right[np.argsort(right[:, 1], kind="stable")]
    return np.array([top_left, top_right, bottom_right, bottom_left], dtype=np.float32)
