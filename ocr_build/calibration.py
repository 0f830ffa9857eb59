"""Synthetic calibration images for static INT8 quantization (pack building only).

Text lines and pages drawn with the machine's fonts (Debian: fonts-wqy-microhei for
Chinese, fonts-dejavu-core / fonts-liberation for Latin), in varied sizes, inks,
backgrounds, blur and noise. They only set the activation ranges, so they need to look
like text on paper, not like any particular test set; and they are reproducible (fixed
seeds), so a pack built twice is the same pack."""

from __future__ import annotations

import random
from collections.abc import Iterable, Iterator
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFilter, ImageFont

from ocr_engine.errors import ModelPackError

FONT_DIRS = (Path("/usr/share/fonts"), Path("/usr/local/share/fonts"), Path.home() / ".fonts")
_CJK_NAMES = ("wqy", "notosanscjk", "notoserifcjk", "sourcehan", "droidsansfallback")
_LATIN_NAMES = ("dejavusans", "dejavuserif", "liberationsans", "liberationserif", "liberationmono", "dejavusansmono")
_WORDS = ("total invoice date tax cash change receipt qty price amount item shop road street tel no "
          "the of and to in for with from order payment discount subtotal member").split()


def find_fonts(font_dirs: Iterable[Path] | None = None) -> tuple[list[Path], list[Path]]:
    """Chinese-capable and Latin fonts in `font_dirs` (default: FONT_DIRS, this machine's
    font folders); Chinese ones are required."""
    font_dirs = FONT_DIRS if font_dirs is None else font_dirs
    files = sorted(p for d in font_dirs if d.is_dir() for p in d.rglob("*")
                   if p.suffix.lower() in (".ttf", ".ttc", ".otf"))
    key = lambda p: p.name.lower().replace("-", "").replace("_", "")  # noqa: E731
    cjk = [p for p in files if key(p).startswith(_CJK_NAMES)]
    latin = [p for p in files if key(p).startswith(_LATIN_NAMES)] or cjk
    if not cjk:
        raise ModelPackError(
            "static INT8 packs are calibrated on text drawn with a Chinese font; none found "
            "(Debian: apt-get install fonts-wqy-microhei)"
        )
    return cjk, latin


def _text(rng: random.Random) -> str:
    parts = []
    for _ in range(rng.randint(1, 6)):
        r = rng.random()
        if r < 0.45:
            parts.append("".join(chr(rng.randint(0x4E00, 0x9FA5)) for _ in range(rng.randint(1, 8))))
        elif r < 0.75:
            word = rng.choice(_WORDS)
            parts.append(word.upper() if rng.random() < 0.5 else word)
        else:
            parts.append(f"{rng.randint(0, 99999)}.{rng.randint(0, 99):02d}" if rng.random() < 0.5
                         else str(rng.randint(0, 10 ** rng.randint(1, 8))))
    return (" " if rng.random() < 0.7 else "").join(parts)


def _line(rng: random.Random, fonts: tuple[list[Path], list[Path]], noise: np.random.Generator) -> np.ndarray:
    cjk, latin = fonts
    text = _text(rng)
    has_cjk = any("\u4e00" <= c <= "\u9fff" for c in text)
    font = ImageFont.truetype(str(rng.choice(cjk if has_cjk else latin)), rng.randint(16, 48))
    left, top, right, bottom = font.getbbox(text)
    pad = rng.randint(2, 12)
    paper = tuple(rng.randint(150, 255) for _ in range(3))
    ink = tuple(rng.randint(0, 90) for _ in range(3))
    if rng.random() < 0.15:
        paper, ink = ink, paper
    # FreeType's boxes are whole pixels (Pillow types them as floats)
    image = Image.new("RGB", (int(right - left) + 2 * pad, int(bottom - top) + 2 * pad), paper)
    ImageDraw.Draw(image).text((pad - left, pad - top), text, fill=ink, font=font)
    if rng.random() < 0.4:
        image = image.filter(ImageFilter.GaussianBlur(rng.uniform(0.3, 1.2)))
    pixels: np.ndarray = np.asarray(image, dtype=np.float32)
    if rng.random() < 0.5:
        pixels = pixels + noise.normal(0, rng.uniform(2, 12), pixels.shape)
    return np.ascontiguousarray(pixels.clip(0, 255).astype(np.uint8)[:, :, ::-1])  # BGR, as decoded images are


def lines(count: int, seed: int = 7, font_dirs: Iterable[Path] | None = None) -> Iterator[np.ndarray]:
    """`count` single text lines, BGR uint8, drawn with the fonts in `font_dirs` (find_fonts)."""
    fonts, rng, noise = find_fonts(font_dirs), random.Random(seed), np.random.default_rng(seed)
    for _ in range(count):
        yield _line(rng, fonts, noise)


def pages(count: int, seed: int = 3, font_dirs: Iterable[Path] | None = None) -> Iterator[np.ndarray]:
    """`count` pages of scattered lines on plain paper, BGR uint8, 600-1400 x 600-1800
    (fonts: find_fonts)."""
    fonts, rng, noise = find_fonts(font_dirs), random.Random(seed), np.random.default_rng(seed)
    import cv2

    for _ in range(count):
        width, height = rng.randint(600, 1400), rng.randint(600, 1800)
        page = np.full((height, width, 3), rng.randint(170, 255), np.uint8)
        y = rng.randint(5, 40)
        while y < height - 20:
            line = _line(rng, fonts, noise)
            scale = rng.uniform(0.5, 1.5)
            line = cv2.resize(line, None, fx=scale, fy=scale)
            h, w = line.shape[:2]
            if h < height - y and w < width:
                x = rng.randint(0, width - w)
                page[y : y + h, x : x + w] = line
                y += h
            y += rng.randint(2, 30)
        yield page
