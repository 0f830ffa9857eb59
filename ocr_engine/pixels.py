"""Decoded pixels to what the engine reads, BGR uint8: any Pillow mode, numpy arrays in
OpenCV's conventions, alpha flattened, EXIF orientation obeyed; and what a decoder raises
on a bad file (DECODE_ERRORS), told to a client without internals (_reason)."""

from __future__ import annotations

import struct

import cv2
import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from .errors import ImageTooSmall, InvalidImage

# What Pillow's decoders raise on malformed files besides OSError and friends: broken TIFF
# directories (KeyError, TypeError "Missing dimensions", IndexError from n_frames), EXIF
# that cannot be parsed (struct.error), ... Each is a bad file, never a bug of ours.
ORIENTATION = 0x0112  # the EXIF tag
DECODE_ERRORS = (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError, TypeError, IndexError,
                 KeyError, ZeroDivisionError, struct.error)


def _upright(image: Image.Image) -> Image.Image:
    """The image turned as its EXIF orientation says; as it is when that EXIF is unreadable
    (the pixels are fine: losing them for a broken tag would be worse)."""
    try:
        if image.getexif().get(ORIENTATION, 1) in (1, None):
            return image  # exif_transpose would return a copy of it: 8 MB more for a receipt
        return ImageOps.exif_transpose(image)
    except DECODE_ERRORS:
        return image


def pil_to_bgr(image: Image.Image) -> np.ndarray:
    """Any Pillow mode (1, L, P, RGB(A), LA, CMYK, YCbCr, 16-bit, float) to BGR uint8."""
    if image.mode in ("I;16", "I;16B", "I;16L", "I;16N", "I", "F"):
        return array_to_bgr(np.asarray(image))
    has_alpha = image.mode in ("RGBA", "LA", "PA", "RGBa", "La") or "transparency" in image.info
    if has_alpha:
        rgba = np.asarray(image.convert("RGBA"))
        return _flatten_alpha(rgba[..., 2::-1], rgba[..., 3])
    if image.mode in ("1", "L"):
        return cv2.cvtColor(np.asarray(image if image.mode == "L" else image.convert("L")), cv2.COLOR_GRAY2BGR)
    # one copy of the pixels besides Pillow's own, turned to BGR in place: a receipt's
    # decode held four (Pillow's, its RGB conversion, the array, the BGR array)
    rgb = np.array(image if image.mode == "RGB" else image.convert("RGB"))
    return cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR, dst=rgb)


def array_to_bgr(array: np.ndarray) -> np.ndarray:
    """A numpy image in OpenCV's conventions (HxW gray, HxWx3 BGR, HxWx4 BGRA) to BGR uint8."""
    if array.ndim == 3 and array.shape[2] == 1:
        array = array[..., 0]
    if array.ndim not in (2, 3) or (array.ndim == 3 and array.shape[2] not in (3, 4)):
        raise InvalidImage(f"an image array must be HxW, HxWx3 or HxWx4, not {array.shape}")
    if array.size == 0:
        raise ImageTooSmall(f"the image array is empty: {array.shape}")
    array = _to_uint8(array)
    if array.ndim == 2:
        return cv2.cvtColor(array, cv2.COLOR_GRAY2BGR)
    if array.shape[2] == 4:
        return _flatten_alpha(array[..., :3], array[..., 3])
    return np.ascontiguousarray(array)


def _to_uint8(array: np.ndarray) -> np.ndarray:
    if array.dtype == np.uint8:
        return array
    if array.dtype == np.bool_:
        return array.astype(np.uint8) * 255
    values = array.astype(np.float32)
    top = float(values.max()) if values.size else 0.0
    if np.issubdtype(array.dtype, np.floating) and top <= 1.0:
        values *= 255.0  # floats in 0..1
    elif top > 255.0:
        bottom = float(values.min())
        values = (values - bottom) * (255.0 / max(top - bottom, 1e-6)) if top > 65535.0 else values / 257.0
    return np.clip(values, 0, 255).astype(np.uint8)


def _flatten_alpha(bgr: np.ndarray, alpha: np.ndarray) -> np.ndarray:
    """Composite over a background that contrasts with the visible pixels: black text on a
    transparent background stays black on white, white text goes onto black."""
    weight = alpha.astype(np.float32)[..., None] / 255.0
    visible = weight[..., 0] > 0.5
    bright = visible.any() and float(bgr[visible].mean()) > 160.0
    background = 0.0 if bright else 255.0
    flat = bgr.astype(np.float32) * weight + background * (1.0 - weight)
    return np.ascontiguousarray(flat.round().astype(np.uint8))


def _reason(exc: BaseException) -> str:
    if isinstance(exc, UnidentifiedImageError):
        # Pillow's message names the file object ("<_io.BytesIO object at 0x7f...>"): a heap
        # address is nothing a client should see
        return "its header or structure is not valid"
    text = str(exc).strip() or type(exc).__name__
    return text[:200]
