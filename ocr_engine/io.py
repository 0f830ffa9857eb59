"""Input: bytes, paths and arrays in; BGR uint8 pages out. Every limit is checked
from the header (image size, page count) before anything is decoded: the bytes and the
format in source.py, the pixels in pixels.py, the pages of images and PDFs here."""

from __future__ import annotations

import io
import os
from collections.abc import Iterator
from dataclasses import replace

import numpy as np
from PIL import Image

from .errors import (
    DocumentTooComplex,
    ImageTooLarge,
    InvalidDocument,
    InvalidImage,
    InvalidParameter,
    OcrError,
    TooManyPages,
    UnsupportedMediaType,
)
from .page_ranges import PageRange, PageSelection, page_indices
from .pdf_render import PdfRenderer
from .pixels import DECODE_ERRORS, _reason, _upright, array_to_bgr, pil_to_bgr
from .settings import Settings
from .source import Source, check_dimensions, load_source
from .text_layer import TEXT_LAYER_MODES, TextLayerPage, text_layer_page

ImageInput = bytes | bytearray | memoryview | str | os.PathLike | np.ndarray

# Pillow format names for what we accept; anything else is refused before Pillow parses it.
_PILLOW_FORMATS = {"png": "PNG", "jpeg": "JPEG", "tiff": "TIFF", "bmp": "BMP", "webp": "WEBP", "gif": "GIF"}
__all__ = ["ImageInput", "PageRange", "Pages", "TextLayerPage", "open_pages"]


class Pages:
    """The pages of one input as decoded BGR images (or, for a PDF page read from its text
    layer, TextLayerPage), produced one at a time so memory stays bounded (`open_pages`):
    `count` of them, numbered `numbers` (1-based, as in the document), of a document of
    `total` pages."""

    def __init__(self, count: int, is_document: bool, iterator: Iterator, numbers: list[int] | None = None,
                 total: int | None = None):
        self.count = count
        self.is_document = is_document
        self._iterator = iterator
        self.numbers = numbers if numbers is not None else list(range(1, count + 1))
        self.first = self.numbers[0] if self.numbers else 1
        self.total = count if total is None else total

    def __iter__(self) -> "Pages":
        return self

    def __next__(self):
        return next(self._iterator)


def open_pages(source: ImageInput, settings: Settings, page_range: PageSelection | str | None = None,
               text_layer: str = "ignore", page_images: bool = False) -> Pages:
    """Check limits from the header, then return the pages as BGR uint8 arrays, lazily;
    only those of `page_range` when given (one range, several, or `"1-3,7"`; the page limit
    is still the document's). `text_layer` (auto|ignore|only, text_layer.py): which PDF
    pages come from their own text layer instead; `page_images`: such a page is rendered
    too (TextLayerPage.image), for the tables stage to find its rules."""
    if text_layer not in TEXT_LAYER_MODES:
        raise InvalidParameter(f"text_layer must be one of {', '.join(TEXT_LAYER_MODES)}, not {text_layer!r}")
    if isinstance(source, np.ndarray):
        page_indices(page_range, 1)
        image = array_to_bgr(source)
        check_dimensions(image.shape[1], image.shape[0], settings)
        return Pages(1, False, iter([image]))
    src = load_source(source, settings)
    if src.format == "pdf":
        return _pdf_pages(src.data, settings, page_range, text_layer, page_images)
    return _image_pages(src, settings, page_range)


# --- images -------------------------------------------------------------------


def _image_pages(src: Source, settings: Settings, page_range: PageSelection | str | None = None) -> Pages:
    if src.format == "jpeg":
        # Each progressive scan is a pass over the whole image: a blank 4000 x 4000 JPEG of
        # 40,000 scans took 44 s to decode. Start-of-scan markers cannot occur inside the
        # entropy-coded data (0xFF is stuffed there), so counting them bounds the scans.
        scans = src.data.count(b"\xff\xda")
        if scans > settings.max_jpeg_scans:
            raise InvalidImage(f"the JPEG has {scans} scans; photos have a few, and the limit is "
                               f"{settings.max_jpeg_scans}")
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
    indices = page_indices(page_range, frames)
    check_dimensions(*image.size, settings)
    return Pages(len(indices), frames > 1, _decode_frames(image, frames, settings, indices),
                 [i + 1 for i in indices], frames)


def _decode_frames(image: Image.Image, frames: int, settings: Settings, indices: list[int]) -> Iterator[np.ndarray]:
    with image:
        for index in indices:
            try:
                image.seek(index)
                check_dimensions(*image.size, settings, what=f"page {index + 1}")
                image.load()
                page = pil_to_bgr(_upright(image))
            except (*DECODE_ERRORS, Image.DecompressionBombError) as exc:
                where = f"page {index + 1} of {frames}" if frames > 1 else "the image"
                raise InvalidImage(f"cannot decode {where}: {_reason(exc)}") from None
            if frames == 1:
                image.close()  # Pillow's decoded pixels would stay alive while the page is read
            yield page



# --- PDF ----------------------------------------------------------------------


def _pdf_pages(data: bytes, settings: Settings, page_range: PageSelection | str | None, text_layer: str,
               page_images: bool = False) -> Pages:
    renderer = PdfRenderer(data, settings.pdf_memory_mb, settings.pdf_page_timeout_s)
    count = renderer.count
    try:
        if count == 0:
            raise InvalidDocument("the PDF has no pages")
        if count > settings.max_pages:
            raise TooManyPages(f"the PDF has {count} pages; the limit is {settings.max_pages}", pages=count)
        indices = page_indices(page_range, count)
    except OcrError:
        renderer.close()
        raise
    pages = _render_pdf(renderer, count, settings, indices, text_layer, page_images)
    return Pages(len(indices), True, pages, [i + 1 for i in indices], count)


def _render_pdf(renderer: PdfRenderer, count: int, settings: Settings, indices: list[int],
                text_layer: str, page_images: bool = False) -> Iterator[np.ndarray | TextLayerPage]:
    try:
        for index in indices:
            try:
                width_pt, height_pt = renderer.size(index)
                scale = _pdf_scale(width_pt, height_pt, settings)
                check_dimensions(round(width_pt * scale), round(height_pt * scale), settings, f"page {index + 1}")
                if text_layer != "ignore":  # the text is read in the child, under its limits
                    page = text_layer_page(renderer.text(index, scale), text_layer)
                    if page is not None:
                        yield replace(page, image=array_to_bgr(renderer.render(index, scale))) if page_images else page
                        continue
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
