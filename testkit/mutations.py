"""Seeded mutations of small valid files, and what decoding one comes to: the fuzzer's
parts, shared by the CI fuzzer (tests/engine/test_fuzz.py, seconds) and the longer run
(bench/fuzz.py, minutes). Whatever the bytes, ocr_engine.io must end in page images or a
typed OcrError; anything else escaping is a bug."""

from __future__ import annotations

import io
import random
import struct
import warnings
import zlib

import numpy as np
from PIL import Image

from ocr_engine import OcrError, Settings
from ocr_engine.io import open_pages

from .hostile.blocks import READS, line, save

# Values that sit on the edges of the fields they land in: sizes, counts, offsets.
EDGE_VALUES = (0, 1, 0x7F, 0x80, 0xFF, 0x7FFF, 0x8000, 0xFFFF, 0x7FFFFFFF, 0x80000000, 0xFFFFFFFF)
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def seeds() -> dict[str, bytes]:
    """One small file per format, with the parts decoders trip on: EXIF orientation (JPEG,
    WebP), several frames (TIFF, GIF), two pages (PDF)."""
    image = line().resize((120, 40))
    exif = Image.Exif()
    exif[0x0112] = 6  # orientation: the decoder turns the image
    exif[0x010F] = "camera"
    return {
        "tiff": save(image, "TIFF", save_all=True, append_images=[image]),
        "jpeg": save(image, "JPEG", exif=exif.tobytes()),
        "webp": save(image, "WEBP", exif=exif.tobytes()),
        "gif": save(image, "GIF", save_all=True, append_images=[image.rotate(90)]),
        "png": save(image, "PNG"),
        "bmp": save(image, "BMP"),
        "pdf": save(image, "PDF", save_all=True, append_images=[image]),
    }


def more_seeds() -> dict[str, bytes]:
    """The CI's seeds and other modes and codecs of the same formats, for longer runs."""
    image = line().resize((120, 40))
    gray16 = Image.fromarray(np.asarray(image.convert("L"), np.uint16) * 257)
    return {
        **seeds(),
        "png-16-bit": save(gray16, "PNG"),
        "png-palette-alpha": save(image.convert("P", palette=Image.Palette.ADAPTIVE, colors=16), "PNG", transparency=0),
        "png-gray-alpha": save(image.convert("LA"), "PNG"),
        "jpeg-progressive": save(image, "JPEG", progressive=True),
        "jpeg-cmyk": save(image.convert("CMYK"), "JPEG"),
        "tiff-group4": save(image.convert("1"), "TIFF", compression="group4"),
        "tiff-lzw-16-bit": save(gray16, "TIFF", compression="tiff_lzw"),
        "tiff-jpeg": save(image, "TIFF", compression="jpeg"),
        "webp-lossless-alpha": save(image.convert("RGBA"), "WEBP", lossless=True),
        "bmp-1-bit": save(image.convert("1"), "BMP"),
        "gif-transparent": save(image.convert("P"), "GIF", transparency=0),
        "pdf-text": _pdf_with_text(),
    }


def _pdf_with_text() -> bytes:
    """A PDF page with text in a standard font and a Flate-compressed content stream (the
    paths a scanned PDF's image-only page does not take)."""
    import pikepdf

    document = pikepdf.new()
    document.add_blank_page(page_size=(200, 60))
    page = document.pages[0]
    page.obj.Resources = pikepdf.Dictionary(Font=pikepdf.Dictionary(F1=pikepdf.Dictionary(
        Type=pikepdf.Name.Font, Subtype=pikepdf.Name.Type1, BaseFont=pikepdf.Name.Helvetica)))
    page.obj.Contents = document.make_stream(b"BT /F1 18 Tf 10 25 Td (OCR 2026) Tj ET")
    buffer = io.BytesIO()
    document.save(buffer, compress_streams=True)
    return buffer.getvalue()


def mutate(seed: bytes, rng: random.Random) -> bytes:
    """1-4 random bytes overwritten, or an edge value written over a 2- or 4-byte field, or a
    slice repeated or removed; one time in five the result is also cut short."""
    data = bytearray(seed)
    kind = rng.random()
    if kind < 0.6:
        for _ in range(rng.randint(1, 4)):
            data[rng.randrange(len(data))] = rng.randrange(256)
    elif kind < 0.8:
        fmt = rng.choice(("<H", ">H", "<I", ">I"))
        at = rng.randrange(max(1, len(data) - struct.calcsize(fmt)))
        struct.pack_into(fmt, data, at, rng.choice(EDGE_VALUES) & (0xFFFF if fmt[1] == "H" else 0xFFFFFFFF))
    else:
        start = rng.randrange(len(data))
        end = min(len(data), start + rng.randint(1, 256))
        data[start:end] = data[start:end] * 2 if rng.random() < 0.5 else b""
    if len(data) > 1 and rng.random() < 0.2:
        data = data[: rng.randrange(1, len(data))]  # cut short
    if data.startswith(PNG_SIGNATURE) and rng.random() < 0.5:
        data = with_png_checksums(data)  # else nearly every mutation stops at a checksum
    return bytes(data)


def with_png_checksums(data: bytes | bytearray) -> bytearray:
    """`data` with each whole chunk's CRC recomputed, so the decoder reads what follows."""
    out = bytearray(data)
    at = len(PNG_SIGNATURE)
    while at + 12 <= len(out):
        (length,) = struct.unpack_from(">I", out, at)
        end = at + 8 + length
        if end + 4 > len(out):
            break
        struct.pack_into(">I", out, end, zlib.crc32(out[at + 4:end]))
        at = end + 4
    return out


def outcome(data: bytes, settings: Settings) -> str:
    """READS when every page decodes, the code of the typed error otherwise; any other
    exception propagates (that is what fuzzing looks for)."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # Pillow warns about what it skips
            for _ in open_pages(data, settings):
                pass
    except OcrError as exc:
        return exc.code
    return READS

