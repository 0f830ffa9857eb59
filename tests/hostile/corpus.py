"""Hostile files of our own making, each with the answer it must get: an error code (its
HTTP status from handler.errors.STATUS_BY_CODE) or READS for files that must be read.

Nothing binary is committed: every file is built here from the samples and a few bytes of
hand-made structure (PDF objects, PNG chunks, TIFF directories, patched headers).

    .venv/bin/python -m tests.hostile.corpus OUT_DIR    # writes the files and expected.json

tests/hostile/test_corpus.py runs them through `ocr read --json` and the API; bench/soak.py
mixes them with good files."""

from __future__ import annotations

import io
import json
import struct
import sys
import zipfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
from PIL import Image

from handler.errors import STATUS_BY_CODE
from tests.engine.test_bad_input import encrypted_pdf, pdf_with_pages, png_claiming
from tests.engine.test_pdf_bombs import NESTED, SELF_DRAWING, pdf

SAMPLES = Path(__file__).resolve().parents[2] / "samples"
READS = "reads"  # the file must be read (HTTP 200, no error in the CLI's entry)


@dataclass(frozen=True)
class Hostile:
    name: str  # a file name; its extension is what a client would claim, never trusted
    make: Callable[[], bytes]
    expect: str  # READS or an error code

    @property
    def status(self) -> int:
        return 200 if self.expect == READS else STATUS_BY_CODE[self.expect]


# --- building blocks ----------------------------------------------------------------


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


# --- PDF ----------------------------------------------------------------------------


def pdf_page_tree_loop() -> bytes:
    return pdf([b"<</Type/Catalog/Pages 2 0 R>>", b"<</Type/Pages/Kids[3 0 R 2 0 R]/Count 2>>",
                b"<</Type/Page/Parent 2 0 R/MediaBox[0 0 200 100]>>"])


def pdf_kid_that_is_a_number() -> bytes:
    return pdf([b"<</Type/Catalog/Pages 2 0 R>>", b"<</Type/Pages/Kids[3 0 R]/Count 1>>", b"42"])


def pdf_page_count_that_lies() -> bytes:
    return pdf([b"<</Type/Catalog/Pages 2 0 R>>", b"<</Type/Pages/Kids[3 0 R]/Count 2000000000>>",
                b"<</Type/Page/Parent 2 0 R/MediaBox[0 0 200 100]>>"])


def pdf_page_tree_nested(depth: int) -> bytes:
    """Page-tree nodes nested `depth` deep above the one page."""
    nodes = [f"<</Type/Pages/Kids[{k + 3} 0 R]/Count 1>>".encode() for k in range(depth)]
    page = f"<</Type/Page/Parent {depth + 1} 0 R/MediaBox[0 0 200 100]>>".encode()
    return pdf([b"<</Type/Catalog/Pages 2 0 R>>", *nodes, page])


def pdf_object_referring_to_itself() -> bytes:
    """The page's resources are object 4, and object 4 is a reference to object 4."""
    return pdf([b"<</Type/Catalog/Pages 2 0 R>>", b"<</Type/Pages/Kids[3 0 R]/Count 1>>",
                b"<</Type/Page/Parent 2 0 R/MediaBox[0 0 200 100]/Resources 4 0 R/Contents 5 0 R>>",
                b"4 0 R", stream(b"/X Do Q")])


def pdf_font_program_of_garbage() -> bytes:
    """Text drawn with an embedded TrueType program of 4 KB of noise (fonts are parsed by FreeType)."""
    noise = bytes((k * 7919 + 13) % 256 for k in range(4096))
    return pdf([b"<</Type/Catalog/Pages 2 0 R>>", b"<</Type/Pages/Kids[3 0 R]/Count 1>>",
                b"<</Type/Page/Parent 2 0 R/MediaBox[0 0 300 100]/Resources<</Font<</F1 5 0 R>>>>/Contents 4 0 R>>",
                stream(b"BT /F1 24 Tf 10 40 Td (OCR 2026) Tj ET"),
                b"<</Type/Font/Subtype/TrueType/BaseFont/Noise/FirstChar 32/LastChar 126/FontDescriptor 6 0 R>>",
                b"<</Type/FontDescriptor/FontName/Noise/Flags 32/FontBBox[0 0 1000 1000]/ItalicAngle 0/Ascent 800"
                b"/Descent -200/CapHeight 700/StemV 80/FontFile2 7 0 R>>",
                stream(noise)])


def pdf_without_pages() -> bytes:
    return pdf([b"<</Type/Catalog/Pages 2 0 R>>", b"<</Type/Pages/Kids[]/Count 0>>"])


def pdf_of_line(**params) -> bytes:
    return save(line(), "PDF", resolution=100, **params)


def pikepdf_edit(edit: Callable) -> bytes:
    """The PDF of samples/line.png as `edit(document, pikepdf)` leaves it."""
    import pikepdf

    document = pikepdf.open(io.BytesIO(pdf_of_line()))
    edit(document, pikepdf)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def pdf_with_script_and_launch_actions() -> bytes:
    """JavaScript on open and a Launch action on the page's link: PDFium renders, never runs them."""

    def edit(document, pikepdf):
        document.Root.OpenAction = pikepdf.Dictionary(S=pikepdf.Name.JavaScript, JS=pikepdf.String("app.alert('hi');"))
        launch = pikepdf.Dictionary(S=pikepdf.Name.Launch, F=pikepdf.String("/bin/sh"))
        link = pikepdf.Dictionary(Type=pikepdf.Name.Annot, Subtype=pikepdf.Name.Link, Rect=[0, 0, 100, 20], A=launch)
        document.pages[0].obj.Annots = document.make_indirect(pikepdf.Array([link]))
        document.pages[0].obj.AA = pikepdf.Dictionary(O=launch)

    return pikepdf_edit(edit)


def pdf_with_media_box(box: list[float]) -> Callable[[], bytes]:
    def make() -> bytes:
        def edit(document, pikepdf):
            document.pages[0].obj.MediaBox = pikepdf.Array(box)

        return pikepdf_edit(edit)

    return make


def pdf_encrypted_for_its_owner_only() -> bytes:
    """An empty user password: anyone may open it (only editing is restricted)."""
    import pikepdf

    document = pikepdf.open(io.BytesIO(pdf_of_line()))
    buffer = io.BytesIO()
    document.save(buffer, encryption=pikepdf.Encryption(owner="owner-secret", user=""))
    return buffer.getvalue()


def pdf_then_zip() -> bytes:
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as z:
        z.writestr("readme.txt", "a zip archive after the PDF's end")
    return pdf_of_line() + archive.getvalue()


def zip_holding_a_pdf() -> bytes:
    """A stored (uncompressed) ZIP entry: the PDF's header is within the first 1,024 bytes,
    where PDF readers look for it."""
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w", compression=zipfile.ZIP_STORED) as z:
        z.writestr("doc.pdf", pdf_of_line())
    return archive.getvalue()


def pdf_with_wrong_xref_offsets() -> bytes:
    data = pdf_of_line()
    start = data.rindex(b"startxref")
    return data[:start] + b"startxref\n999999\n%%EOF\n"


def pdf_image_claiming(width: int, height: int) -> bytes:
    """A page that draws an image XObject whose dictionary claims width x height pixels,
    with 16 bytes of data."""
    image = stream(b"\0" * 16, f"/Type/XObject/Subtype/Image/Width {width}/Height {height}"
                                 "/ColorSpace/DeviceGray/BitsPerComponent 8".encode())
    return pdf([b"<</Type/Catalog/Pages 2 0 R>>", b"<</Type/Pages/Kids[3 0 R]/Count 1>>",
                b"<</Type/Page/Parent 2 0 R/MediaBox[0 0 200 200]/Resources<</XObject<</I 5 0 R>>>>/Contents 4 0 R>>",
                stream(b"q 200 0 0 200 0 0 cm /I Do Q"), image])


def pdf_with_content(content: bytes, compress: bool = False) -> bytes:
    contents = stream(zlib.compress(content, 9), b"/Filter/FlateDecode") if compress else stream(content)
    return pdf([b"<</Type/Catalog/Pages 2 0 R>>", b"<</Type/Pages/Kids[3 0 R]/Count 1>>",
                b"<</Type/Page/Parent 2 0 R/MediaBox[0 0 200 200]/Contents 4 0 R>>", contents])


# --- images -------------------------------------------------------------------------


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


# --- the corpus ---------------------------------------------------------------------

CORPUS = [
    # documents that would exhaust memory or time, or break the parser
    Hostile("pdf-self-drawing-form.pdf", lambda: SELF_DRAWING, "document_too_complex"),
    Hostile("pdf-forms-nested-22-deep.pdf", lambda: NESTED, "document_too_complex"),
    Hostile("pdf-page-tree-loop.pdf", pdf_page_tree_loop, "invalid_document"),
    Hostile("pdf-10000-pages.pdf", lambda: pdf_with_pages(10_000), "too_many_pages"),
    Hostile("pdf-page-count-2e9-of-1.pdf", pdf_page_count_that_lies, READS),  # its one real page
    Hostile("pdf-kid-that-is-a-number.pdf", pdf_kid_that_is_a_number, "invalid_document"),
    Hostile("pdf-without-pages.pdf", pdf_without_pages, "invalid_document"),
    Hostile("pdf-encrypted.pdf", encrypted_pdf, "encrypted_document"),
    Hostile("pdf-encrypted-owner-only.pdf", pdf_encrypted_for_its_owner_only, READS),
    Hostile("pdf-huge-media-box.pdf", pdf_with_media_box([0, 0, 14_400, 14_400]), READS),
    Hostile("pdf-empty-media-box.pdf", pdf_with_media_box([0, 0, 0, 0]), READS),
    Hostile("pdf-inverted-media-box.pdf", pdf_with_media_box([300, 80, 0, 0]), READS),
    Hostile("pdf-script-and-launch-actions.pdf", pdf_with_script_and_launch_actions, READS),
    Hostile("pdf-header-then-garbage.pdf", lambda: b"%PDF-1.7\n" + bytes(range(256)) * 8, "invalid_document"),
    Hostile("pdf-truncated.pdf", lambda: truncated(pdf_of_line(), 0.5), "invalid_document"),
    Hostile("pdf-then-zip.pdf", pdf_then_zip, READS),
    Hostile("zip-holding-a-pdf.zip", zip_holding_a_pdf, READS),
    Hostile("pdf-wrong-xref-offsets.pdf", pdf_with_wrong_xref_offsets, READS),
    Hostile("pdf-image-claiming-100000x100000.pdf", lambda: pdf_image_claiming(100_000, 100_000), READS),
    Hostile("pdf-arrays-nested-100000-deep.pdf", lambda: pdf_with_content(b"[" * 100_000), READS),
    Hostile("pdf-content-inflating-to-20mb.pdf", lambda: pdf_with_content(b"q Q " * 5_000_000, compress=True), READS),
    Hostile("pdf-page-tree-5000-deep.pdf", lambda: pdf_page_tree_nested(5000), "invalid_document"),
    Hostile("pdf-object-referring-to-itself.pdf", pdf_object_referring_to_itself, READS),
    Hostile("pdf-font-program-of-garbage.pdf", pdf_font_program_of_garbage, READS),
    # not a file at all, or not what it claims
    Hostile("empty.png", lambda: b"", "empty_input"),
    Hostile("drawing.svg", lambda: SVG, "unsupported_media_type"),
    Hostile("icon.ico", lambda: save(line(), "ICO"), "unsupported_media_type"),
    Hostile("text-starting-with-BM.txt", lambda: b"BMW 320i, 2019, 45000 km\n" * 20, "unsupported_media_type"),
    Hostile("text-starting-with-GIF8.txt", lambda: b"GIF8 is not quite a GIF header\n" * 20, "unsupported_media_type"),
    Hostile("text-starting-with-GIF89a.txt", lambda: b"GIF89a: the format of the nineties\n" * 20, "invalid_image"),
    Hostile("text-starting-with-PDF.txt", lambda: b"%PDF-1.7 is the version we target\n" * 20, "invalid_document"),
    Hostile("html-behind-gif-magic.gif", lambda: b"GIF89a<html><script>alert(1)</script></html>", "invalid_image"),
    Hostile("html-behind-png-magic.png", lambda: b"\x89PNG\r\n\x1a\n<html><body onload=alert(1)></html>",
            "invalid_image"),
    # cut short
    Hostile("png-truncated.png", lambda: truncated(save(line(), "PNG")), "invalid_image"),
    Hostile("jpeg-truncated.jpg", lambda: truncated(jpeg_of_line()), "invalid_image"),
    Hostile("tiff-truncated.tif", lambda: truncated(tiff_of_line()), "invalid_image"),
    Hostile("gif-truncated.gif", lambda: truncated(save(line().convert("P"), "GIF")), "invalid_image"),
    Hostile("webp-truncated.webp", lambda: truncated(save(line(), "WEBP")), "invalid_image"),
    Hostile("bmp-truncated.bmp", lambda: truncated(save(line(), "BMP")), "invalid_image"),
    # decompression bombs, refused from the header
    Hostile("png-claims-50000x50000.png", lambda: png_claiming(50_000, 50_000), "image_too_large"),
    Hostile("tiff-claims-100000x100000.tif", lambda: tiff(gray_tiff_entries(100_000, 100_000, 16), b"\0" * 16),
            "image_too_large"),
    Hostile("gif-claims-65535x65535.gif", lambda: gif_claiming(65_535, 65_535), "image_too_large"),
    Hostile("jpeg-claims-65500x65500.jpg", lambda: jpeg_claiming(65_500, 65_500), "image_too_large"),
    Hostile("bmp-claims-60000x60000.bmp", lambda: bmp_claiming(60_000, 60_000), "image_too_large"),
    Hostile("webp-claims-16383x16383.webp", lambda: webp_claiming(16_383, 16_383), "image_too_large"),
    Hostile("jpeg-claims-8x60000.jpg", lambda: jpeg_claiming(8, 60_000), "image_too_large"),
    Hostile("png-20000x12.png", lambda: save(Image.new("L", (20_000, 12), 255), "PNG"), "image_too_large"),
    Hostile("jpeg-5000-progressive-scans.jpg", jpeg_scan_bomb, "invalid_image"),
    # metadata bombs: Pillow refuses a text or ICC chunk that inflates past 1 MB (MAX_TEXT_CHUNK)
    Hostile("png-ztxt-inflating-to-50mb.png", png_ztxt_bomb, "invalid_image"),
    Hostile("png-iccp-inflating-to-50mb.png", png_iccp_bomb, "invalid_image"),
    Hostile("png-idat-inflating-past-its-size.png", png_idat_inflating_past_its_size, READS),
    Hostile("png-20000-text-chunks.png", lambda: png_with_many_text_chunks(20_000), READS),
    # structure that lies
    Hostile("jpeg-exif-orientation-9.jpg", lambda: jpeg_with_exif(exif_orientation(9)), READS),
    Hostile("jpeg-exif-directory-cut-short.jpg", lambda: jpeg_with_exif(exif_directory_cut_short()), READS),
    Hostile("tiff-second-page-broken.tif", tiff_with_a_broken_second_page, "invalid_image"),
    Hostile("tiff-1000-pages.tif", lambda: tiff_of_tiny_pages(1000), "too_many_pages"),
    Hostile("tiff-directory-loop.tif", tiff_directory_loop, READS),
    Hostile("tiff-zero-width.tif", lambda: tiff(gray_tiff_entries(0, 32, 16), b"\0" * 16), "invalid_image"),
    Hostile("gif-frames-cut-short.gif", gif_with_broken_frames, "unsupported_media_type"),
    Hostile("gif-animated.gif", lambda: animated("GIF"), "unsupported_media_type"),
    Hostile("webp-animated.webp", lambda: animated("WEBP"), "unsupported_media_type"),
    Hostile("png-animated.png", lambda: animated("PNG"), "unsupported_media_type"),
    # odd but valid: must be read
    Hostile("png-1x1.png", lambda: save(Image.new("RGB", (1, 1), "white"), "PNG"), "image_too_small"),
    Hostile("png-16-bit-gray.png", png_16_bit_gray, READS),
    Hostile("jpeg-cmyk.jpg", lambda: save(line().convert("CMYK"), "JPEG"), READS),
    Hostile("png-palette-with-alpha.png", png_palette_with_alpha, READS),
    Hostile("tiff-float32.tif", tiff_float32, READS),
    Hostile("bmp-1-bit.bmp", lambda: save(line().convert("1"), "BMP"), READS),
    Hostile("bmp-top-down.bmp", bmp_top_down, READS),
    Hostile("png-long-thin-line-16065x46.png", lambda: png_of_line_repeated(45), READS),
    Hostile("png-tall-thin-16x16000.png", png_tall_thin, READS),
]


def write(folder: Path) -> dict[str, dict]:
    """Every corpus file into `folder`, and `expected.json` (name -> expect, status)."""
    folder.mkdir(parents=True, exist_ok=True)
    expected = {}
    for hostile in CORPUS:
        (folder / hostile.name).write_bytes(hostile.make())
        expected[hostile.name] = {"expect": hostile.expect, "status": hostile.status}
    (folder / "expected.json").write_text(json.dumps(expected, indent=1) + "\n")
    return expected


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: python -m tests.hostile.corpus OUT_DIR")
    print(f"{len(write(Path(sys.argv[1])))} files in {sys.argv[1]}")
