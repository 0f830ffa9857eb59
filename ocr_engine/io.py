"""Input: bytes, paths and arrays in; BGR uint8 pages out. Every limit is checked
from the header (image size, page count) before anything is decoded."""

from __future__ import annotations

import io
import os
import struct
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from .errors import (
    DocumentTooComplex,
    EmptyInput,
    ImageTooLarge,
    ImageTooSmall,
    InputTooLarge,
    InvalidDocument,
    InvalidImage,
    InvalidParameter,
    OcrError,
    TooManyPages,
    UnsupportedMediaType,
)
from .pdf_render import PdfRenderer
from .settings import Settings

ImageInput = bytes | bytearray | memoryview | str | os.PathLike | np.ndarray

# Pillow format names for what we accept; anything else is refused before Pillow parses it.
_PILLOW_FORMATS = {"png": "PNG", "jpeg": "JPEG", "tiff": "TIFF", "bmp": "BMP", "webp": "WEBP", "gif": "GIF"}
MEDIA_TYPES = {
    "png": "image/png",
    "jpeg": "image/jpeg",
    "tiff": "image/tiff",
    "bmp": "image/bmp",
    "webp": "image/webp",
    "gif": "image/gif",
    "pdf": "application/pdf",
}

# What Pillow's decoders raise on malformed files besides OSError and friends: broken TIFF
# directories (KeyError, TypeError "Missing dimensions", IndexError from n_frames), EXIF
# that cannot be parsed (struct.error), ... Each is a bad file, never a bug of ours.
DECODE_ERRORS = (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError, TypeError, IndexError,
                 KeyError, ZeroDivisionError, struct.error)

_BMP_HEADER_SIZES = {12, 16, 40, 52, 56, 64, 108, 124}  # BITMAPCOREHEADER ... BITMAPV5HEADER


def sniff_format(data: bytes) -> str | None:
    """The format from the magic bytes; never from a file name or declared type."""
    head = bytes(data[:16])
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if head.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if head[:4] in (b"II*\x00", b"MM\x00*"):
        return "tiff"
    if head.startswith(b"BM") and head[14:15] and int.from_bytes(bytes(data[14:18]), "little") in _BMP_HEADER_SIZES:
        return "bmp"  # a text file can start with "BM"; a bitmap's info header has one of these sizes
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "webp"
    if head[:6] in (b"GIF87a", b"GIF89a"):
        return "gif"
    if b"%PDF-" in bytes(data[:1024]):  # PDF allows junk before the header
        return "pdf"
    return None


@dataclass
class Source:
    """Input bytes that passed the size and format checks."""

    data: bytes
    format: str

    @property
    def media_type(self) -> str:
        return MEDIA_TYPES[self.format]


def load_source(source: bytes | bytearray | memoryview | str | os.PathLike, settings: Settings) -> Source:
    if isinstance(source, (str, os.PathLike)):
        path = Path(source)
        try:
            if not path.is_file():
                raise InvalidParameter(f"{path.name!r} is not a file")
            size = path.stat().st_size
            if size > settings.max_bytes:
                raise InputTooLarge(_too_many_bytes(size, settings))
            data = path.read_bytes()
        except OSError as exc:
            raise InvalidParameter(f"cannot read {path.name!r}: {exc.strerror}") from None
    else:
        data = bytes(source)
    if not data:
        raise EmptyInput("the input is empty (0 bytes)")
    if len(data) > settings.max_bytes:
        raise InputTooLarge(_too_many_bytes(len(data), settings))
    fmt = sniff_format(data)
    if fmt is None:
        raise UnsupportedMediaType(
            "not a supported image or document: expected PNG, JPEG, TIFF, BMP, WebP, GIF or PDF"
        )
    return Source(data, fmt)


def _too_many_bytes(size: int, settings: Settings) -> str:
    return f"the input is {size:,} bytes; the limit is {settings.max_bytes:,} bytes"


def check_dimensions(width: int, height: int, settings: Settings, what: str = "image") -> None:
    if width * height > settings.max_pixels or max(width, height) > settings.max_side:
        raise ImageTooLarge(
            f"the {what} is {width}x{height} pixels; the limits are {settings.max_pixels:,} pixels "
            f"and {settings.max_side} pixels a side"
        )
    if min(width, height) < settings.min_side:
        raise ImageTooSmall(
            f"the {what} is {width}x{height} pixels; text needs at least {settings.min_side} pixels a side"
        )


PageRange = tuple[int, int]  # first and last page, 1-based, inclusive


class Pages:
    """The pages of one input as decoded BGR images, produced one at a time so memory
    stays bounded (`open_pages`): `count` of them, numbered from `first`, of a document
    of `total` pages."""

    def __init__(self, count: int, is_document: bool, iterator: Iterator, first: int = 1, total: int | None = None):
        self.count = count
        self.is_document = is_document
        self._iterator = iterator
        self.first = first
        self.total = count if total is None else total

    def __iter__(self) -> "Pages":
        return self

    def __next__(self):
        return next(self._iterator)


def open_pages(source: ImageInput, settings: Settings, page_range: PageRange | None = None) -> Pages:
    """Check limits from the header, then return the pages as BGR uint8 arrays, lazily;
    only those of `page_range` when given (the page limit is still the document's)."""
    if isinstance(source, np.ndarray):
        _check_range(page_range, 1)
        image = array_to_bgr(source)
        check_dimensions(image.shape[1], image.shape[0], settings)
        return Pages(1, False, iter([image]))
    src = load_source(source, settings)
    if src.format == "pdf":
        return _pdf_pages(src.data, settings, page_range)
    return _image_pages(src, settings, page_range)


def _check_range(page_range: PageRange | None, total: int) -> tuple[int, int]:
    """The 0-based start and stop of `page_range` in a document of `total` pages."""
    if page_range is None:
        return 0, total
    first, last = page_range
    if not 1 <= first <= last <= total:
        raise InvalidParameter(f"pages {first}-{last} are not within the document's {total} pages")
    return first - 1, last


# --- images -------------------------------------------------------------------


def _image_pages(src: Source, settings: Settings, page_range: PageRange | None = None) -> Pages:
    if src.format == "jpeg":
        # Each progressive scan is a pass over the whole image: a blank 4000 x 4000 JPEG of
        # 40,000 scans took 44 s to decode. Start-of-scan markers cannot occur inside the
        # entropy-coded data (0xFF is stuffed there), so counting them bounds the scans.
        scans = src.data.count(b"\xff\xda")
        if scans > settings.max_jpeg_scans:
            raise InvalidImage(f"the JPEG has {scans} scans; photos have a few, and the limit is {settings.max_jpeg_scans}")
    try:
        image = Image.open(io.BytesIO(src.data), formats=[_PILLOW_FORMATS[src.format]])
        frames = getattr(image, "n_frames", 1)
    except Image.DecompressionBombError:
        raise ImageTooLarge("the image header claims more pixels than can be decoded safely") from None
    except DECODE_ERRORS as exc:
        raise InvalidImage(f"cannot read the {src.format.upper()} image: {_reason(exc)}") from None
    if frames > 1 and src.format != "tiff":
        raise UnsupportedMediaType(
            f"animated {src.format.upper()} images are not supported; send a single frame as PNG or JPEG"
        )
    if frames > settings.max_pages:
        raise TooManyPages(f"the TIFF has {frames} pages; the limit is {settings.max_pages}", pages=frames)
    start, stop = _check_range(page_range, frames)
    check_dimensions(*image.size, settings)
    return Pages(stop - start, frames > 1, _decode_frames(image, frames, settings, start, stop), start + 1, frames)


def _decode_frames(image: Image.Image, frames: int, settings: Settings, start: int, stop: int) -> Iterator[np.ndarray]:
    with image:
        for index in range(start, stop):
            try:
                image.seek(index)
                check_dimensions(*image.size, settings, what=f"page {index + 1}")
                image.load()
                page = pil_to_bgr(_upright(image))
            except (*DECODE_ERRORS, Image.DecompressionBombError) as exc:
                where = f"page {index + 1} of {frames}" if frames > 1 else "the image"
                raise InvalidImage(f"cannot decode {where}: {_reason(exc)}") from None
            yield page


def _upright(image: Image.Image) -> Image.Image:
    """The image turned as its EXIF orientation says; as it is when that EXIF is unreadable
    (the pixels are fine: losing them for a broken tag would be worse)."""
    try:
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
        return cv2.cvtColor(np.asarray(image.convert("L")), cv2.COLOR_GRAY2BGR)
    return cv2.cvtColor(np.asarray(image.convert("RGB")), cv2.COLOR_RGB2BGR)


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


# --- PDF ----------------------------------------------------------------------


def _pdf_pages(data: bytes, settings: Settings, page_range: PageRange | None = None) -> Pages:
    renderer = PdfRenderer(data, settings.pdf_memory_mb, settings.pdf_page_timeout_s)
    count = renderer.count
    try:
        if count == 0:
            raise InvalidDocument("the PDF has no pages")
        if count > settings.max_pages:
            raise TooManyPages(f"the PDF has {count} pages; the limit is {settings.max_pages}", pages=count)
        start, stop = _check_range(page_range, count)
    except OcrError:
        renderer.close()
        raise
    return Pages(stop - start, True, _render_pdf(renderer, count, settings, start, stop), start + 1, count)


def _render_pdf(renderer: PdfRenderer, count: int, settings: Settings, start: int, stop: int) -> Iterator[np.ndarray]:
    try:
        for index in range(start, stop):
            try:
                width_pt, height_pt = renderer.size(index)
                scale = _pdf_scale(width_pt, height_pt, settings)
                check_dimensions(round(width_pt * scale), round(height_pt * scale), settings, f"page {index + 1}")
                image = renderer.render(index, scale)
            except (InvalidDocument, DocumentTooComplex) as exc:
                raise type(exc)(f"page {index + 1} of {count}: {exc.message}") from None
            yield array_to_bgr(image)
    finally:
        renderer.close()


def _pdf_scale(width_pt: float, height_pt: float, settings: Settings) -> float:
    """Render at `pdf_dpi`, but never past the pixel limits (huge pages are shrunk to fit)."""
    scale = settings.pdf_dpi / 72.0
    longest = max(width_pt, height_pt, 1e-3)
    scale = min(scale, settings.max_side / longest)
    area = max(width_pt * height_pt, 1e-3)
    scale = min(scale, (settings.max_pixels / area) ** 0.5)
    return max(scale, 1e-3)


def _reason(exc: BaseException) -> str:
    if isinstance(exc, UnidentifiedImageError):
        # Pillow's message names the file object ("<_io.BytesIO object at 0x7f...>"): a heap
        # address is nothing a client should see
        return "its header or structure is not valid"
    text = str(exc).strip() or type(exc).__name__
    return text[:200]
