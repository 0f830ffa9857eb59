"""The building blocks of hostile files: the sample line as an image, encoders, PNG chunks, TIFF
directories, PDF objects, and the bombs and locked files the engine's tests also use."""

from __future__ import annotations

import io
import struct
import zlib
from functools import lru_cache
from pathlib import Path

from PIL import Image

SAMPLES = Path(__file__).resolve().parents[2] / "samples"
READS = "reads"  # the file must be read (HTTP 200, no error in the CLI's entry)


@lru_cache(maxsize=None)
def line() -> Image.Image:
    """samples/line.png: one line of Chinese and English text, 357 x 46."""
    return Image.open(SAMPLES / "line.png").convert("RGB")


def save(image: Image.Image, fmt: str, **params) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, fmt, **params)
    return buffer.getvalue()


def png_chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def png_with_chunks(*extra: bytes) -> bytes:
    """samples/line.png with `extra` chunks inserted after its header chunk."""
    data = save(line(), "PNG")
    after_ihdr = 8 + 8 + 13 + 4
    return data[:after_ihdr] + b"".join(extra) + data[after_ihdr:]


SHORT, LONG = 3, 4  # TIFF field types


def tiff(entries: list[tuple[int, int, int]], pixels: bytes = b"", next_ifd: int = 0) -> bytes:
    """A little-endian TIFF of one directory (tag, type, value) placed after the header and
    `pixels`; a StripOffsets value of -1 stands for where `pixels` start."""
    pixel_offset = 8
    ifd_offset = 8 + len(pixels)
    ifd = struct.pack("<H", len(entries))
    for tag, kind, value in sorted(entries):
        value = pixel_offset if value == -1 else value
        packed = struct.pack("<I", value) if kind == LONG else struct.pack("<HH", value, 0)
        ifd += struct.pack("<HHI", tag, kind, 1) + packed
    ifd += struct.pack("<I", next_ifd)
    return b"II*\x00" + struct.pack("<I", ifd_offset) + pixels + ifd


def gray_tiff_entries(width: int, height: int, strip_bytes: int) -> list[tuple[int, int, int]]:
    return [(256, LONG, width), (257, LONG, height), (258, SHORT, 8), (259, SHORT, 1), (262, SHORT, 1),
            (273, LONG, -1), (277, SHORT, 1), (278, LONG, height), (279, LONG, strip_bytes)]


def stream(content: bytes, entries: bytes = b"") -> bytes:
    """A PDF stream object's body: its dictionary (`entries` and the length) and `content`."""
    return b"<<%s/Length %d>>stream\n" % (entries, len(content)) + content + b"\nendstream"


def truncated(data: bytes, fraction: float = 0.6) -> bytes:
    return data[: int(len(data) * fraction)]


def patched(data: bytes, offset: int, fmt: str, *values) -> bytes:
    """`data` with `values` packed over the bytes at `offset` (a header field)."""
    out = bytearray(data)
    struct.pack_into(fmt, out, offset, *values)
    return bytes(out)


def pdf(objects: list[bytes]) -> bytes:
    out, offsets = b"%PDF-1.4\n", []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += f"{number} 0 obj ".encode() + body + b" endobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    out += b"".join(f"{offset:010d} 00000 n \n".encode() for offset in offsets)
    return out + f"trailer <</Size {len(objects) + 1}/Root 1 0 R>>\nstartxref\n{xref}\n%%EOF\n".encode()


def png_claiming(width: int, height: int) -> bytes:
    """A valid PNG header that claims width x height, with a tiny IDAT: a decompression bomb
    is refused from this header alone, so nothing bigger is needed."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\0" * 64))
            + chunk(b"IEND", b""))


def pdf_with_pages(count: int) -> bytes:
    import pypdfium2 as pdfium

    pdf = pdfium.PdfDocument.new()
    for _ in range(count):
        pdf.new_page(200, 200)
    buffer = io.BytesIO()
    pdf.save(buffer)
    pdf.close()
    return buffer.getvalue()


def encrypted_pdf() -> bytes:
    import pikepdf

    source = pikepdf.open(io.BytesIO(save(Image.open(SAMPLES / "line.png").convert("RGB"), "PDF")))
    buffer = io.BytesIO()
    source.save(buffer, encryption=pikepdf.Encryption(owner="owner-secret", user="user-secret"))
    return buffer.getvalue()
