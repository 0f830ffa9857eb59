"""`page_images`: a JSON answer's pages each carry `image`, a small JPEG of the page as the
engine read it (a data URL), so that the web page can draw a PDF's or a TIFF's boxes over
the page itself. Chosen over pdf.js in the browser: the image is the very rendering the
boxes are measured in (the same PDFium at the same scale), TIFFs get one too, and the page
needs no extra script, worker or looser Content-Security-Policy."""

from __future__ import annotations

import base64
import math

import anyio

from ocr_engine import Settings
from ocr_engine.page_images import DEFAULT_SIDE, page_images

from .models import OcrResponse
from .read_options import ReadOptions

PAGE_IMAGES_HELP = ("true: each page of the JSON answer also has `image`, a JPEG of the page as it was read (a data "
                    "URL, its longest side at most 1200 px, smaller for many pages), which the boxes lie on when "
                    "scaled to the page's width and height; left out where the answer would grow too large")
BYTES_A_PAGE = 200_000  # what a page image takes in the answer at DEFAULT_SIDE, about (base64 of ~150 KB)


async def add_page_images(answer: OcrResponse, data: bytes, settings: Settings, options: ReadOptions,
                          max_bytes: int, slots: anyio.CapacityLimiter) -> OcrResponse:
    """`answer`, with an image on each page when `options` ask for them and they fit in an
    answer of `max_bytes` (they are left out where they would not)."""
    if not options.page_images or not answer.pages:
        return answer
    room = max_bytes - len(answer.model_dump_json())
    per_page = max(1, room // len(answer.pages))
    # JPEG bytes grow about with the pixels: the side shrinks with the square root of the room
    side = min(DEFAULT_SIDE, int(DEFAULT_SIDE * math.sqrt(per_page / BYTES_A_PAGE)))
    if side < 200:  # too small to be of use: leave them out
        return answer

    def render() -> list[str]:
        return ["data:image/jpeg;base64," + base64.b64encode(jpeg).decode("ascii")
                for jpeg in page_images(data, settings, options.page_range, longest_side=side)]

    images = await anyio.to_thread.run_sync(render, limiter=slots)
    if sum(map(len, images)) > room or len(images) != len(answer.pages):
        return answer
    for page, image in zip(answer.pages, images):
        page.image = image
    return answer
