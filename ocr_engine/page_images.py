"""Small JPEG images of an input's pages, as the engine read them: the pixels its boxes are
measured in (a PDF page rendered by the same PDFium child at the same scale, a TIFF's
frame, an image turned upright by its EXIF orientation), shrunk to fit a size. The web page
draws a document's boxes over them; a browser can show neither a PDF page nor a TIFF."""

from __future__ import annotations

from collections.abc import Iterator

import cv2
import numpy as np

from .errors import OcrError
from .io import ImageInput, open_pages
from .page_ranges import PageSelection
from .settings import Settings

DEFAULT_SIDE = 1200  # pixels of the longest side: sharp enough on a screen, ~100 KB a page
QUALITY = 70


def page_images(source: ImageInput, settings: Settings, page_range: PageSelection | str | None = None,
                longest_side: int = DEFAULT_SIDE, quality: int = QUALITY) -> Iterator[bytes]:
    """A JPEG of each page (those of `page_range`), in order, its longest side at most
    `longest_side`. Pages are rendered anew, one at a time, from the text layer's point of
    view as OCR sees them (every page drawn, whatever its text layer holds)."""
    if longest_side < 16:
        raise OcrError(f"a page image needs at least 16 pixels a side, not {longest_side}")
    for page in open_pages(source, settings, page_range, text_layer="ignore"):
        assert isinstance(page, np.ndarray)  # text_layer="ignore": every page is drawn
        yield jpeg_of(page, longest_side, quality)


def jpeg_of(image: np.ndarray, longest_side: int, quality: int = QUALITY) -> bytes:
    height, width = image.shape[:2]
    scale = min(1.0, longest_side / max(height, width))
    if scale < 1.0:
        size = (max(1, round(width * scale)), max(1, round(height * scale)))
        image = cv2.resize(image, size, interpolation=cv2.INTER_AREA)
    ok, encoded = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, quality])
    if not ok:
        raise OcrError("the page image could not be encoded")
    return encoded.tobytes()
