"""Hostile files of our own making, each with the answer it must get: an error code (its
HTTP status from handler.errors.STATUS_BY_CODE) or READS for files that must be read.

Nothing binary is committed: every file is built here from the samples and a few bytes of
hand-made structure (PDF objects, PNG chunks, TIFF directories, patched headers): the
blocks, PDFs and images beside this file.

    .venv/bin/python -m testkit.hostile.corpus OUT_DIR    # writes the files and expected.json

tests/hostile/test_corpus.py runs them through `ocr read --json` and the API; bench/soak.py
mixes them with good files."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from PIL import Image

from handler.errors import STATUS_BY_CODE

from .blocks import READS, encrypted_pdf, gray_tiff_entries, line, pdf_with_pages, png_claiming, save, tiff, truncated
from .images import (
    SVG,
    animated,
    bmp_claiming,
    bmp_top_down,
    exif_directory_cut_short,
    exif_orientation,
    gif_claiming,
    gif_with_broken_frames,
    jpeg_claiming,
    jpeg_of_line,
    jpeg_scan_bomb,
    jpeg_with_exif,
    png_16_bit_gray,
    png_iccp_bomb,
    png_idat_inflating_past_its_size,
    png_of_line_repeated,
    png_palette_with_alpha,
    png_tall_thin,
    png_with_many_text_chunks,
    png_ztxt_bomb,
    tiff_directory_loop,
    tiff_float32,
    tiff_of_line,
    tiff_of_tiny_pages,
    tiff_with_a_broken_second_page,
    webp_claiming,
)
from .pdfs import (
    NESTED,
    SELF_DRAWING,
    pdf_encrypted_for_its_owner_only,
    pdf_font_program_of_garbage,
    pdf_image_claiming,
    pdf_kid_that_is_a_number,
    pdf_object_referring_to_itself,
    pdf_of_line,
    pdf_page_count_that_lies,
    pdf_page_tree_loop,
    pdf_page_tree_nested,
    pdf_then_zip,
    pdf_with_content,
    pdf_with_media_box,
    pdf_with_script_and_launch_actions,
    pdf_with_wrong_xref_offsets,
    pdf_without_pages,
    zip_holding_a_pdf,
)


@dataclass(frozen=True)
class Hostile:
    name: str  # a file name; its extension is what a client would claim, never trusted
    make: Callable[[], bytes]
    expect: str  # READS or an error code

    @property
    def status(self) -> int:
        return 200 if self.expect == READS else STATUS_BY_CODE[self.expect]


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
        sys.exit("usage: python -m testkit.hostile.corpus OUT_DIR")
    print(f"{len(write(Path(sys.argv[1])))} files in {sys.argv[1]}")
