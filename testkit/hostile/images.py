"""Hostile images: headers that claim more pixels than they hold, scan and metadata bombs,
frames that break, and odd but valid modes that must be read."""

from __future__ import annotations

import io
import struct
import zlib

import numpy as np
from PIL import Image, TiffImagePlugin

from .blocks import gray_tiff_entries, line, patched, png_chunk, png_with_chunks, save, tiff, truncated


def jpeg_of_line(**params) -> bytes:
    return save(line(), "JPEG", quality=90, **params)


def jpeg_scan_bomb() -> bytes:
    """A progressive JPEG whose last scan repeats 5,000 times: each is a pass over the image."""
    progressive = save(Image.new("L", (64, 64), 255), "JPEG", progressive=True)
    last_scan = progressive.rindex(b"\xff\xda")
    return progressive[:last_scan] + progressive[last_scan:-2] * 5000 + b"\xff\xd9"


def jpeg_claiming(width: int, height: int) -> bytes:
    data = jpeg_of_line()
    frame = data.index(b"\xff\xc0")  # baseline start-of-frame: length, precision, height, width
    return patched(data, frame + 5, ">HH", height, width)


def jpeg_with_exif(exif: bytes) -> bytes:
    return jpeg_of_line(exif=exif)


def exif_orientation(value: int) -> bytes:
    exif = Image.Exif()
    exif[0x0112] = value
    return exif.tobytes()


def exif_directory_cut_short() -> bytes:
    """An EXIF directory that announces 255 entries and holds one."""
    return b"Exif\x00\x00II*\x00\x08\x00\x00\x00" + struct.pack("<H", 255) + struct.pack("<HHII", 0x0112, 3, 1, 6)


def gif_claiming(width: int, height: int) -> bytes:
    data = save(line().convert("P"), "GIF")
    data = patched(data, 6, "<HH", width, height)  # the logical screen
    palette = 3 * 2 ** ((data[10] & 7) + 1)  # the global palette's size, from the screen's flags
    assert data[13 + palette] == 0x2C  # Pillow writes the image descriptor right after it
    return patched(data, 13 + palette + 5, "<HH", width, height)


def bmp_claiming(width: int, height: int) -> bytes:
    return patched(save(line(), "BMP"), 18, "<ii", width, height)


def bmp_top_down() -> bytes:
    """A negative height: rows stored top to bottom (allowed by the format)."""
    data = save(line(), "BMP")
    width, height = struct.unpack_from("<ii", data, 18)
    rows = data[54:]
    stride = len(rows) // height
    flipped = b"".join(rows[k * stride:(k + 1) * stride] for k in reversed(range(height)))
    return patched(data[:54], 18, "<ii", width, -height) + flipped


def webp_claiming(width: int, height: int) -> bytes:
    """A lossless WebP whose bitstream header claims width x height (14 bits each)."""
    data = save(line(), "WEBP", lossless=True)
    start = data.index(b"VP8L") + 8 + 1  # after the chunk header and the 0x2f signature
    bits = (width - 1) | (height - 1) << 14
    kept = struct.unpack_from("<I", data, start)[0] & ~((1 << 28) - 1)
    return patched(data, start, "<I", bits | kept)


def tiff_of_line(pages: int = 1, **params) -> bytes:
    frames = [line()] * pages
    return save(frames[0], "TIFF", save_all=True, append_images=frames[1:], **params)


def tiff_with_a_broken_second_page() -> bytes:
    data = tiff_of_line(pages=2, compression="tiff_deflate")
    with Image.open(io.BytesIO(data)) as image:
        assert isinstance(image, TiffImagePlugin.TiffImageFile)
        image.seek(1)
        offset, size = image.tag_v2[273][0], image.tag_v2[279][0]
    return data[:offset] + b"\x55" * size + data[offset + size:]


def tiff_of_tiny_pages(count: int) -> bytes:
    page = Image.new("L", (8, 8), 255)
    return save(page, "TIFF", save_all=True, append_images=[page] * (count - 1))


def tiff_directory_loop() -> bytes:
    """A directory whose next-directory pointer leads back to itself."""
    pixels = b"\xff" * (64 * 32)
    return tiff(gray_tiff_entries(64, 32, len(pixels)), pixels, next_ifd=8 + len(pixels))


def gif_with_broken_frames() -> bytes:
    frames = [line().convert("P"), line().rotate(180).convert("P"), line().convert("L").convert("P")]
    return truncated(save(frames[0], "GIF", save_all=True, append_images=frames[1:]), 0.8)


def animated(fmt: str) -> bytes:
    return save(line(), fmt, save_all=True, append_images=[line().rotate(180)], duration=100, loop=0)


def png_16_bit_gray() -> bytes:
    gray = np.asarray(line().convert("L"), np.uint16) * 257
    return save(Image.fromarray(gray), "PNG")


def png_palette_with_alpha() -> bytes:
    palette = line().convert("P", palette=Image.Palette.ADAPTIVE, colors=16)
    return save(palette, "PNG", transparency=0)


def tiff_float32() -> bytes:
    return save(Image.fromarray(np.asarray(line().convert("L"), np.float32) / 255.0), "TIFF")


def png_of_line_repeated(times: int) -> bytes:
    """The sample line `times` over, side by side: one line thousands of pixels long."""
    long = Image.new("RGB", (line().width * times, line().height), "white")
    for k in range(times):
        long.paste(line(), (k * line().width, 0))
    return save(long, "PNG")


def png_ztxt_bomb() -> bytes:
    """A compressed text chunk of 50 KB that inflates to 50 MB."""
    return png_with_chunks(png_chunk(b"zTXt", b"Comment\x00\x00" + zlib.compress(b"A" * 50_000_000, 9)))


def png_iccp_bomb() -> bytes:
    return png_with_chunks(png_chunk(b"iCCP", b"icc\x00\x00" + zlib.compress(b"\0" * 50_000_000, 9)))


def png_idat_inflating_past_its_size() -> bytes:
    """A 64 x 64 header whose pixel data inflates to 50 MB: decoding must stop at 4 KB."""
    header = struct.pack(">IIBBBBB", 64, 64, 8, 0, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", header)
            + png_chunk(b"IDAT", zlib.compress(b"\0" * 50_000_000, 9)) + png_chunk(b"IEND", b""))


def png_tall_thin() -> bytes:
    """16 x 16,000: a detector resizes by the long side; the short side must not reach 0."""
    column = np.full((16_000, 16), 255, np.uint8)
    column[:, 6:10] = 0
    return save(Image.fromarray(column), "PNG")


def png_with_many_text_chunks(count: int) -> bytes:
    return png_with_chunks(*(png_chunk(b"tEXt", b"k\x00" + str(k).encode()) for k in range(count)))


SVG = (b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" width="200" height="50">'
       b'<script>alert(1)</script><text x="0" y="30">OCR</text></svg>')

