"""OpenCV preprocessing: what each model sees, and the geometry that maps it back."""

from __future__ import annotations

import math
from dataclasses import dataclass

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
    matrix, width, height = _rectify(box)
    crop = cv2.warpPerspective(image, matrix, (width, height), flags=cv2.INTER_CUBIC, borderMode=cv2.BORDER_REPLICATE)
    return upright_line(crop)


def _rectify(box: np.ndarray) -> tuple[np.ndarray, int, int]:
    box = box.astype(np.float32)
    width = int(round(max(np.linalg.norm(box[0] - box[1]), np.linalg.norm(box[2] - box[3]))))
    height = int(round(max(np.linalg.norm(box[0] - box[3]), np.linalg.norm(box[1] - box[2]))))
    width, height = max(width, 1), max(height, 1)
    target = np.array([[0, 0], [width, 0], [width, height], [0, height]], dtype=np.float32)
    return cv2.getPerspectiveTransform(box, target), width, height


@dataclass(frozen=True)
class CropGeometry:
    """Where a line crop's pixels lie in the image it was cut from: the crop was `warp`ed
    out of the image (a 3 x 3 perspective matrix, image -> crop) and then turned `turns`
    quarter turns counterclockwise (np.rot90) into `shape`."""

    warp: np.ndarray
    turns: int
    shape: tuple[int, int]

    @classmethod
    def of_quad(cls, box: np.ndarray) -> "CropGeometry":
        """The geometry of `crop_quad(image, box)`."""
        matrix, width, height = _rectify(box)
        turns = upright_turns((height, width))
        return cls(matrix, turns, (width, height) if turns % 2 else (height, width))

    @classmethod
    def of_image(cls, shape: tuple[int, ...]) -> "CropGeometry":
        """The geometry of `upright_line(image)`: the whole image as a line."""
        height, width = shape[:2]
        turns = upright_turns((height, width))
        return cls(np.eye(3), turns, (width, height) if turns % 2 else (height, width))

    def turned(self, quarters: int) -> "CropGeometry":
        """The geometry of this crop turned `quarters` quarter turns more (`np.rot90(crop, quarters)`)."""
        shape = (self.shape[1], self.shape[0]) if quarters % 2 else self.shape
        return CropGeometry(self.warp, self.turns + quarters, shape)

    def to_image(self, points: np.ndarray) -> np.ndarray:
        """Points (N x 2, x and y) of the crop -> the same points in the image."""
        points = np.asarray(points, dtype=np.float32).reshape(-1, 2)
        if self.turns % 4:
            points = rotate_points(points, -self.turns, self.shape)
        return cv2.perspectiveTransform(points[None], np.linalg.inv(self.warp))[0]


def rotate_points(points: np.ndarray, turns: int, shape: tuple[int, ...]) -> np.ndarray:
    """Points (... x 2, x and y) of an image of `shape` moved as `np.rot90(image, turns)`
    moves its pixels (quarter turns counterclockwise)."""
    height, width = shape[:2]
    x, y = points[..., 0], points[..., 1]
    for _ in range(turns % 4):
        x, y, height, width = y, width - 1 - x, width, height
    return np.stack([x, y], axis=-1).astype(np.float32)


def upright_turns(shape: tuple[int, ...]) -> int:
    """Quarter turns (counterclockwise) that `upright_line` gives a crop of `shape`."""
    return 1 if shape[0] >= 1.5 * shape[1] else 0


# A box up to this many times as tall as wide may hold one narrow glyph standing upright
# (a "3" or a "1" alone in a table's cell, boxed tight) as well as a short vertical line
GLYPH_ASPECT = 3.0


def maybe_a_standing_glyph(geometry: CropGeometry) -> bool:
    """Whether a crop turned to read left to right may have been upright already: its box was
    tall, but not tall enough to be sure it holds more than one character."""
    height, width = geometry.shape[:2]
    return geometry.turns % 2 == 1 and width < GLYPH_ASPECT * height


def upright_line(crop: np.ndarray) -> np.ndarray:
    turns = upright_turns(crop.shape)
    return np.ascontiguousarray(np.rot90(crop, turns)) if turns else crop


def strip_width(shape: tuple[int, ...], height: int) -> int:
    """The width of an image of `shape` resized to `height` (`resize_to_height`)."""
    h, w = shape[:2]
    return max(1, int(math.ceil(w * height / h)))


def resize_to_height(image: np.ndarray, height: int) -> np.ndarray:
    interpolation = cv2.INTER_AREA if image.shape[0] > height else cv2.INTER_LINEAR
    return cv2.resize(image, (strip_width(image.shape, height), height), interpolation=interpolation)


def pad_batch(strips: list[np.ndarray], width: int) -> np.ndarray:
    """Strips of equal height -> one NCHW batch padded on the right to `width` with the
    model's zero (mid grey), as the PP-OCR recognisers were trained."""
    height = strips[0].shape[0]
    batch = np.zeros((len(strips), 3, height, width), dtype=np.float32)
    for i, strip in enumerate(strips):
        batch[i, :, :, : strip.shape[1]] = to_blob(strip)[0]
    return batch
