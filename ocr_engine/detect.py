"""DB text detection: the model's probability map -> 4-point line boxes in input pixels."""

from __future__ import annotations

import math
from dataclasses import dataclass

import cv2
import numpy as np

from .preprocess import detector_size, to_blob


@dataclass(frozen=True)
class DetectorParams:
    min_side: int = 736  # short side of the detector input (PaddleOCR's limit_side_len)
    # long side cap: chosen on held-out pages (bench/held_out_pages.py), where 1600 kept char
    # F1 (small print 0.9959 -> 0.9955, documents 0.9956 -> 0.9954, receipts 0.9974 -> 0.9977)
    # in 0.65x the detector's time; 1280 lost small print (0.9948)
    max_side: int = 1600
    threshold: float = 0.3  # a pixel is text above this probability
    # a box is kept if its mean probability is above this; lower than PP-OCR's 0.5 because the
    # recogniser's confidence gate (Settings.min_line_confidence) drops what is not text
    box_threshold: float = 0.4
    unclip_ratio: float = 1.6  # DB shrinks text regions in training; grow them back
    min_box_side: float = 3.0  # in detector pixels
    max_candidates: int = 3000
    # A large image runs in strips of about this many input pixels: the detector's working
    # memory is ~190 bytes per input pixel (2016 x 1504 took 570 MB), so strips bound a page's peak.
    tile_pixels: int = 640 * 640
    tile_overlap: int = 64  # rows of context each strip shares with its neighbours (multiple of 32)
    # An image smaller than `min_side` is first read at its own size: when the text found
    # there is at least this tall (detector pixels, 10th percentile of the boxes), that
    # reading stands; otherwise the image is upscaled just enough to bring the text to this
    # height (at most to `min_side`); where nothing is found, at twice the scale, until
    # `min_side`. Upscaling large text wastes time (a 294 x 391 web image spent 0.87 s of
    # 0.96 s in the detector at 736) and loses it (a line crop at 736 is often empty to the
    # tiny detector). 0: always upscale to `min_side`, as PaddleOCR does.
    text_height: float = 24
    # ...but an image that `min_side` upscales by at most this much is read once, upscaled:
    # the pass at its own size cost as much, and the upscaled pass followed it whenever the
    # text was small. Chosen on held-out web images (bench/held_out_pages.py --set web):
    # char F1 0.9774 -> 0.9779, the detector 0.060 -> 0.054 s an image; 1.5 read as well,
    # more slowly. Skipping the second pass instead when it would enlarge the text less than
    # 1.5x read those as well but lost 1.8 points on the dev web images.
    direct_upscale: float = 1.3


MIN_STRIP = 256  # strips are at least this tall, so the overlap stays a small part of each


class TextDetector:
    def __init__(self, session, params: DetectorParams | None = None):
        self.session = session
        self.input_name = session.get_inputs()[0].name
        self.params = params or DetectorParams()

    def detect(self, image: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Boxes (N x 4 x 2 float32, clockwise from top-left) and their scores. The runs of
        one image (its strips, its passes at other scales) keep the arena warm, released
        after the last (Session): shrunk after every run, the next run faulted its working
        memory in again, and that made the detector 1.5x slower (a 1536 x 1088 input: 0.13 s
        warm, 0.19 s shrunk)."""
        try:
            return self._detect(image)
        finally:
            self.session.release_arena()

    def _detect(self, image: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        height, width = image.shape[:2]
        params = self.params
        native = min(1.0, params.max_side / max(height, width))
        upscaled = detector_scale(height, width, params.min_side, params.max_side)
        if params.text_height <= 0 or upscaled <= native * params.direct_upscale:
            return self._detect_at(image, upscaled)
        scale = native
        while True:
            boxes, scores = self._detect_at(image, scale)
            if scale >= upscaled:
                return boxes, scores
            if len(boxes):
                text_height = float(np.quantile(box_heights(boxes), 0.1)) * scale
                if text_height >= params.text_height:
                    return boxes, scores
                return self._detect_at(image, min(upscaled, scale * params.text_height / text_height))
            scale = min(upscaled, 2 * scale)  # nothing found yet: text too small to see, or none

    def _detect_at(self, image: np.ndarray, scale: float) -> tuple[np.ndarray, np.ndarray]:
        height, width = image.shape[:2]
        in_h, in_w = detector_size(height, width, scale)
        resized = cv2.resize(image, (in_w, in_h), interpolation=cv2.INTER_LINEAR)
        probability = self._probability(resized, scale=in_h / height)
        boxes, scores = boxes_from_probability(probability, self.params)
        if len(boxes):
            boxes[:, :, 0] = np.clip(boxes[:, :, 0] * (width / in_w), 0, width - 1)
            boxes[:, :, 1] = np.clip(boxes[:, :, 1] * (height / in_h), 0, height - 1)
            sides = np.linalg.norm(boxes - np.roll(boxes, -1, axis=1), axis=2)
            keep = (sides[:, [0, 2]].max(axis=1) > 3) & (sides[:, [1, 3]].max(axis=1) > 3)
            boxes, scores = boxes[keep], scores[keep]
        return boxes, scores

    def _probability(self, image: np.ndarray, scale: float) -> np.ndarray:
        """The text probability map of `image`. A large image runs in full-width strips,
        each with some rows of context on its inner edges, keeping only its own rows (up to
        the middle of each overlap). The overlap grows with the upscaling, which makes the
        text taller: a seam must not cut characters taller than its context."""
        height, width = image.shape[:2]
        overlap = math.ceil(self.params.tile_overlap * max(1.0, scale) / 32) * 32
        strips = strip_rows(height, width, self.params.tile_pixels, overlap)
        if len(strips) == 1:
            return self.session.run(None, {self.input_name: to_blob(image)}, shrink=False)[0][0, 0]
        probability = np.empty((height, width), np.float32)
        for start, end, keep_start, keep_end in strips:
            out = self.session.run(None, {self.input_name: to_blob(image[start:end])}, shrink=False)[0][0, 0]
            probability[keep_start:keep_end] = out[keep_start - start : keep_end - start]
        return probability


def detector_scale(height: int, width: int, min_side: int, max_side: int) -> float:
    """PaddleOCR's sizing: the short side brought up to `min_side` (small text needs the
    pixels), the long side capped at `max_side`."""
    return min(max(1.0, min_side / min(height, width)), max_side / max(height, width))


def box_heights(boxes: np.ndarray) -> np.ndarray:
    """The shorter side of each box: the text's height, whichever way it runs."""
    sides = np.linalg.norm(boxes - np.roll(boxes, -1, axis=1), axis=2)
    return np.minimum(sides[:, [0, 2]].mean(axis=1), sides[:, [1, 3]].mean(axis=1))


def strip_rows(height: int, width: int, max_pixels: int, overlap: int) -> list[tuple[int, int, int, int]]:
    """Full-width strips of about `max_pixels` (at least MIN_STRIP rows) covering `height`
    rows (a multiple of 32), each as (start, end, keep_start, keep_end): the strip and the
    rows it owns."""
    rows = max(MIN_STRIP, 4 * overlap, max_pixels // width // 32 * 32)
    if height <= rows:
        return [(0, height, 0, height)]
    count = math.ceil((height - overlap) / (rows - overlap))
    step = math.ceil((height - overlap) / count / 32) * 32  # strips stay multiples of 32
    strips = []
    for k in range(count):
        start = k * step
        last = k == count - 1
        strips.append((start, height if last else start + step + overlap,
                       0 if k == 0 else start + overlap // 2, height if last else start + step + overlap // 2))
    return strips


def boxes_from_probability(probability: np.ndarray, params: DetectorParams) -> tuple[np.ndarray, np.ndarray]:
    mask: np.ndarray = (probability > params.threshold).astype(np.uint8)
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
