"""Input bytes: read from a path or taken as given, held to the byte limit, their format
sniffed from the magic bytes (never a name or a declared type); and the pixel limits that
every decoder checks from a header before it decodes (check_dimensions)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from .errors import EmptyInput, ImageTooLarge, ImageTooSmall, InputTooLarge, InvalidParameter, UnsupportedMediaType
from .settings import Settings

MEDIA_TYPES = {
    "png": "image/png",
    "jpeg": "image/jpeg",
    "tiff": "image/tiff",
    "bmp": "image/bmp",
    "webp": "image/webp",
    "gif": "image/gif",
    "pdf": "application/pdf",
}

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
