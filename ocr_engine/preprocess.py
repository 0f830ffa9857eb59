"""OpenCV preprocessing: what each model sees, and the geometry that maps it back."""

from __future__ import annotations

import math

import cv2
import numpy as np

# PP-OCR models take BGR in [-1, 1]: (x / 255 - 0.5) / 0.5 = (x - 127.5) / 127.5.
_HALF = 127.5


def to_blob(images: list[np.ndarray] | np.ndarray) -> np.ndarray:
    """BGR uint8 HxWx3 image(s) of one size -> NCHW float32 in [-1, 1]."""
    return cv2.dnn.blobFromImages(
        images if isinstance(images, list) else [images], scalefactor=1.0 / _HALF, mean=(_HALF, _HALF, _HALF)
    )


def detector_size(height: int, width: int, scale: float) -> tuple[int, int]:
    """The detector's input size for an image scaled by `scale`: multiples of 32."""
    return max(32, int(round(height * scale / 32)) * 32), max(32, int(round(width * scale / 32)) * 32)


def crop_quad(image: np.ndarray, box: np.ndarray) -> np.ndarray:
    """The line inside a 4-point box (clockwise from top-left), rectified to a horizontal
    strip. Boxes much taller than wide hold vertical text: turned to read left to right."""
    box = box.astype(np.float32)
    width = int(round(max(np.linalg.norm(box[0] - box[1]), np.linalg.norm(box[2] - box[3]))))
    height = int(round(max(np.linalg.norm(box[0] - box[3]), np.linalg.norm(box[1] - box[2]))))
    width, height = max(width, 1), max(height, 1)
    target = np.array([[0, 0], [width, 0], [width, height], [0, height]], dtype=np.float32)
    matrix = cv2.getPerspectiveTransform(box, target)
    crop = cv2.warpPerspective(image, matrix, (width, height), flags=cv2.INTER_CUBIC, borderMode=cv2.BORDER_REPLICATE)
    return upright_line(crop)


def rotate_points(points: np.ndarray, turns: int, shape: tuple[int, ...]) -> np.ndarray:
    """Points (... x 2, x and y) of an image of `shape` moved as `np.rot90(image, turns)`
    moves its pixels (quarter turns counterclockwise)."""
    height, width = shape[:2]
    x, y = points[..., 0], points[..., 1]
    for _ in range(turns % 4):
        x, y, height, width = y, width - 1 - x, width, height
    return np.stack([x, y], axis=-1).astype(np.float32)


def upright_line(crop: np.ndarray) -> np.ndarray:
    if crop.shape[0] >= 1.5 * crop.shape[1]:
        return np.ascontiguousarray(np.rot90(crop))
    return crop


def resize_to_height(image: np.ndarray, height: int) -> np.ndarray:
    h, w = image.shape[:2]
    new_w = max(1, int(math.ceil(w * height / h)))
    interpolation = cv2.INTER_AREA if h > height else cv2.INTER_LINEAR
    return cv2.resize(image, (new_w, height), interpolation=interpolation)


def pad_batch(strips: list[np.ndarray], width: int) -> np.ndarray:
    """Strips of equal height -> one NCHW batch padded on the right to `width` with the
    model's zero (mid grey), as the PP-OCR recognisers were trained."""
    height = strips[0].shape[0]
    batch = np.zeros((len(strips), 3, height, width), dtype=np.float32)
    for i, strip in enumerate(strips):
        batch[i, :, :, : strip.shape[1]] = to_blob(strip)[0]
    return batch
