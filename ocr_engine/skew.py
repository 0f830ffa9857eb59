"""A page's skew, read from the detected line boxes: the angle their long sides make with
the page's axes. Reading order is decided on the boxes turned back by that angle (the page
is not resampled: each line is cut out along its own box anyway), so a page turned up to
about 20 degrees reads in the order of the upright one and its boxes stay where they are."""

from __future__ import annotations

import numpy as np

# A box shows its line's direction only if it is clearly longer than it is tall.
_CLEAR_ASPECT = 2.0
# Below this the row tolerance of the reading order absorbs the skew: nothing is turned.
MIN_SKEW_DEGREES = 3.0
# Beyond this, lines across and lines down cannot be told apart by their angle (an advert's
# text set at 45 degrees): nothing is turned.
MAX_SKEW_DEGREES = 25.0


def skew_degrees(boxes: np.ndarray) -> float:
    """The page's skew in degrees, in (-45, 45]: positive where lines climb to the right
    (the page turned counterclockwise, in image coordinates with y down); 0 when no box
    shows a direction. Vertical columns count too: their long side is folded a quarter turn."""
    if len(boxes) == 0:
        return 0.0
    first, second = boxes[:, 1] - boxes[:, 0], boxes[:, 2] - boxes[:, 1]
    len1, len2 = np.linalg.norm(first, axis=1), np.linalg.norm(second, axis=1)
    along = np.where((len1 >= len2)[:, None], first, second)
    long_side, short_side = np.maximum(len1, len2), np.minimum(len1, len2)
    clear = long_side >= _CLEAR_ASPECT * np.maximum(short_side, 1e-6)
    if not clear.any():
        return 0.0
    angles = np.degrees(np.arctan2(-along[clear, 1], along[clear, 0]))
    folded = (angles + 45.0) % 90.0 - 45.0  # a side and its opposite, across or down: one angle
    return _weighted_median(folded, long_side[clear])


def deskewed(boxes: np.ndarray, degrees: float) -> np.ndarray:
    """`boxes` (N x 4 x 2) turned by -`degrees` about their common centre: the page upright.
    Only for ordering; the result's boxes keep the input's coordinates."""
    if len(boxes) == 0 or degrees == 0:
        return boxes
    theta = np.radians(degrees)
    # turning a point by +theta counterclockwise on screen (y down) is
    # x' = x cos + y sin, y' = -x sin + y cos; undoing the page's skew turns the other way
    cos, sin = np.cos(theta), np.sin(theta)
    centre = boxes.reshape(-1, 2).mean(axis=0)
    x, y = boxes[..., 0] - centre[0], boxes[..., 1] - centre[1]
    return np.stack([x * cos - y * sin, x * sin + y * cos], axis=-1).astype(np.float32) + centre.astype(np.float32)


def levelled(boxes: np.ndarray) -> np.ndarray:
    """`boxes` turned back by the page's skew where it is one to undo (between MIN_SKEW_DEGREES
    and MAX_SKEW_DEGREES), else as they are: what layout decisions are taken on."""
    skew = skew_degrees(boxes)
    return deskewed(boxes, skew) if MIN_SKEW_DEGREES <= abs(skew) <= MAX_SKEW_DEGREES else boxes


def _weighted_median(values: np.ndarray, weights: np.ndarray) -> float:
    order = np.argsort(values)
    cumulative = np.cumsum(weights[order])
    return float(values[order][np.searchsorted(cumulative, cumulative[-1] / 2)])
