"""The look of text in web and e-commerce images, which plain prints on paper leave out:
coloured banners (light text on saturated colour, saturated text on white), outlined and
shadowed lettering, italics, strokes drawn across the text, and a detector's tight crop
that clips the glyphs' edges. LineRenderer(look="web") draws part of its lines this way."""

from __future__ import annotations

import random

import cv2
import numpy as np
from PIL import Image, ImageDraw, ImageFont

WEB_SHARE = 0.6  # of a web-look renderer's lines; the rest are drawn as prints


def _colour(rng: random.Random, value: tuple[int, int], saturation: tuple[int, int]) -> tuple[int, int, int]:
    hsv = np.array([[[rng.randint(0, 179), rng.randint(*saturation), rng.randint(*value)]]], np.uint8)
    b, g, r = cv2.cvtColor(hsv, cv2.COLOR_HSV2BGR)[0, 0]
    return int(r), int(g), int(b)


def tight_ends(rng: random.Random, image: np.ndarray, text_start: int, text_end: int, size: int) -> np.ndarray:
    """The columns of `image` from near the text's first pixel to near its last: a box
    drawn at the ink's edges, as annotators and tight detectors draw them, leaves at most a
    sliver of margin and often cuts into the first or last glyph (by up to 12 % of the
    font size, which keeps the glyph readable)."""
    start = max(0, text_start + int(size * rng.uniform(-0.08, 0.12)))
    end = min(image.shape[1], text_end - int(size * rng.uniform(-0.08, 0.12)))
    if end - start < size // 2:
        return image
    return np.ascontiguousarray(image[:, start:end])


def web_line(rng: random.Random, text: str, font: ImageFont.FreeTypeFont, size: int,
             tight: bool = False) -> np.ndarray:
    """BGR uint8: `text` drawn as a banner or a label in a web image; `tight`: cropped at
    the text's ends (`tight_ends`)."""
    if rng.random() < 0.5:  # light text on a saturated banner
        background, ink = _colour(rng, (70, 230), (120, 255)), _colour(rng, (215, 255), (0, 60))
    else:  # saturated or dark text on a pale ground
        background, ink = _colour(rng, (215, 255), (0, 50)), _colour(rng, (40, 200), (90, 255))
    outline = rng.random() < 0.3
    stroke = max(1, size // rng.randint(10, 16)) if outline else 0
    stroke_fill = _colour(rng, (0, 255), (0, 255)) if outline else ink
    shadow = max(1, size // 14) if rng.random() < 0.15 else 0
    left, top, right, bottom = font.getbbox(text, stroke_width=stroke)
    pad_x = [int(size * rng.uniform(0.05, 0.4)) for _ in range(2)]
    pad_y = [int(size * rng.uniform(0.05, 0.3)) for _ in range(2)]
    width, height = int(right - left) + sum(pad_x) + shadow, int(bottom - top) + sum(pad_y) + shadow
    canvas = Image.new("RGB", (max(8, width), max(8, height)), background)
    if rng.random() < 0.3:  # a gradient ground
        ramp = np.linspace(rng.uniform(0.7, 1.0), rng.uniform(1.0, 1.25), canvas.height, dtype=np.float32)
        canvas = Image.fromarray(np.clip(np.asarray(canvas, np.float32) * ramp[:, None, None], 0, 255).astype(np.uint8))
    draw = ImageDraw.Draw(canvas)
    origin = (pad_x[0] - left, pad_y[0] - top)
    if shadow:
        draw.text((origin[0] + shadow, origin[1] + shadow), text, font=font, fill=(30, 30, 30))
    draw.text(origin, text, font=font, fill=ink, stroke_width=stroke, stroke_fill=stroke_fill)
    for _ in range(rng.choice([0, 0, 0, 0, 0, 1, 2])):  # a stroke of the picture crossing the text
        x0, x1 = rng.randint(0, canvas.width), rng.randint(0, canvas.width)
        draw.line([(x0, 0), (x1, canvas.height)], fill=_colour(rng, (0, 120), (0, 255)),
                  width=max(1, int(size * rng.uniform(0.05, 0.25))))
    image = cv2.cvtColor(np.asarray(canvas), cv2.COLOR_RGB2BGR)
    if tight:
        image = tight_ends(rng, image, pad_x[0], pad_x[0] + int(right - left), size)
    if rng.random() < 0.3:  # italics
        h, w = image.shape[:2]
        shear = rng.uniform(0.12, 0.3)
        matrix = np.array([[1, -shear, shear * h], [0, 1, 0]], np.float32)
        image = cv2.warpAffine(image, matrix, (w + int(shear * h) + 1, h), borderMode=cv2.BORDER_REPLICATE)
    if rng.random() < 0.25:  # a tight crop clips the glyphs' edges
        h, w = image.shape[:2]
        top_cut, bottom_cut = (int(h * rng.uniform(0, 0.12)) for _ in range(2))
        side_cut = [int(min(w * 0.1, size * rng.uniform(0, 0.25))) for _ in range(2)]
        image = image[top_cut : h - bottom_cut, side_cut[0] : w - side_cut[1]]
    return np.ascontiguousarray(image)
