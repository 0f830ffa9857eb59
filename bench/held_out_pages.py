"""Held-out pages: documents, small print and receipts drawn from the training corpus's
texts that no run trains on (`training.data.held_out_text`), in the held-out faces, and
scanned or photographed; page-level engine choices (the detector's scale, its strips) are
made on these, and the dev pages only report. `--set web` draws small web and e-commerce
images instead: a few lines at mixed sizes, large headlines among small print, on coloured
grounds, at 300-1000 px a side (the detector's choices for images under its minimum side).

    .venv/bin/python bench/held_out_pages.py --out build/held-out-pages
    .venv/bin/python bench/held_out_pages.py --set web --out build/held-out-web
    .venv/bin/python bench/engine_params.py --eval build/held-out-pages max_side=1280

Writes OUT/pages/*.jpg and OUT/labels.jsonl in the eval's format (`kind` "page", `text`
the page's lines), so `bench/engine_params.py --eval OUT` and `score.py` read them as
they read ../shared/eval. The same seed draws the same pages.

`--world training` draws the same kinds of page from the training world instead (texts a run
may train on, in the v3 faces): for choices made in training (`python -m training doubt
--pages`), which must not see the held-out pages."""

from __future__ import annotations

import argparse
import json
import random
from pathlib import Path

import cv2
import numpy as np
from PIL import Image, ImageDraw

from training.data import held_out_text
from training.font_coverage import fonts_covering
from training.line_texts import LineTexts
from training.render import _font, available_fonts

A4_INCHES = (8.27, 11.69)
# (kind, share): a kind's page size and type sizes are drawn in `_layout`
KINDS = (("document", 0.4), ("small print", 0.25), ("receipt", 0.35))
DOCUMENT_TEXTS = {"chinese_sentence": 0.3, "chinese_phrase": 0.15, "english": 0.2, "mixed": 0.1,
                  "chinese_identity": 0.1, "invoice_field": 0.1, "symbols": 0.05}
RECEIPT_TEXTS = {"receipt": 0.6, "invoice_field": 0.2, "symbols": 0.1, "english": 0.1}
WEB_TEXTS = {"web_ad": 0.5, "chinese_phrase": 0.2, "english": 0.1, "mixed": 0.1, "symbols": 0.1}
# a world: its faces (training.render's font set) and whether its texts are the held-out ones
WORLDS = {"held-out": ("held-out", True), "training": ("v3", False)}


def _layout(rng: random.Random, kind: str) -> tuple[int, int, float, float]:
    """(width, height, type size px, line pitch as a multiple of the size) of a page."""
    if kind == "receipt":  # 58 or 80 mm thermal paper at 203 dpi, photographed larger
        width = rng.choice((384, 576))
        size = rng.uniform(18, 26)
        return width, 0, size, rng.uniform(1.25, 1.6)
    dpi = rng.choice((150, 200, 300)) if kind == "document" else rng.choice((200, 300))
    points = rng.uniform(9, 13) if kind == "document" else rng.uniform(6, 8)
    width, height = (round(side * dpi) for side in A4_INCHES)
    return width, height, points / 72 * dpi, rng.uniform(1.3, 1.9)


def _fit(draw: ImageDraw.ImageDraw, text: str, font, room: float) -> str:
    while text and draw.textlength(text, font=font) > room:
        text = text[:-1]
    return text.rstrip()


def _face(rng: random.Random, text: str, fonts: list[tuple[str, int]], size: float):
    faces = fonts_covering(fonts, text)
    return _font(*rng.choice(faces), round(size)) if faces else None


def draw_page(rng: random.Random, kind: str, texts: LineTexts,
              world: str = "held-out") -> tuple[np.ndarray, list[str]]:
    """A clean page of `kind` and the text of its lines, top to bottom (columns in order)."""
    faces, held_out = WORLDS[world]
    cjk, latin = available_fonts(faces)
    width, height, size, pitch = _layout(rng, kind)
    margin = round(width * (0.04 if kind == "receipt" else 0.1))
    lines_wanted = rng.randint(25, 45) if kind == "receipt" else 0
    if kind == "receipt":
        height = round(2 * margin + lines_wanted * size * pitch)
    page = Image.new("L", (width, height), 255)
    draw = ImageDraw.Draw(page)
    columns = 2 if kind != "receipt" and rng.random() < 0.25 else 1
    gutter = round(size * 2)
    column_width = (width - 2 * margin - gutter * (columns - 1)) / columns
    written: list[str] = []
    top = float(margin)
    if kind != "receipt":  # a title across the columns, larger and centred
        title = _next_text(texts, held_out)
        font = _face(rng, title, cjk + latin, size * rng.uniform(1.5, 2.2))
        if font is not None:
            title = _fit(draw, title, font, width - 2 * margin)
            draw.text(((width - draw.textlength(title, font=font)) / 2, top), title, font=font, fill=0)
            written.append(title)
            top += font.size * 1.8
    for column in range(columns):
        x0 = margin + column * (column_width + gutter)
        y = top
        while y + size * pitch < height - margin:
            text = _next_text(texts, held_out)
            font = _face(rng, text, (latin + cjk) if text.isascii() else cjk, size)
            if font is None:
                continue
            text = _fit(draw, text, font, column_width)
            if not text:
                continue
            x = x0
            if kind == "receipt" and rng.random() < 0.3:  # an amount at the right edge
                x = x0 + column_width - draw.textlength(text, font=font)
            draw.text((x, y), text, font=font, fill=rng.randint(0, 60))
            written.append(text)
            y += size * pitch * (2 if rng.random() < 0.12 else 1)  # now and then a paragraph's gap
    return np.asarray(page), written


def draw_web_image(rng: random.Random, texts: LineTexts, world: str = "held-out") -> tuple[np.ndarray, list[str]]:
    """A small web or e-commerce image (BGR) and its lines, top to bottom: a ground of one
    colour fading into another, 2-9 lines, each its own size (12-72 px) and colour, placed
    left, centred or right, some on a band of colour."""
    faces, held_out = WORLDS[world]
    cjk, latin = available_fonts(faces)
    width, height = rng.randint(300, 1000), rng.randint(300, 1000)
    ground = np.array([rng.randint(0, 255) for _ in range(3)], np.float32)
    fade = np.array([rng.randint(0, 255) for _ in range(3)], np.float32)
    ramp = np.linspace(0, 1, height, dtype=np.float32)[:, None, None]
    image = Image.fromarray(np.broadcast_to(ground * (1 - ramp) + fade * ramp, (height, width, 3)).astype(np.uint8))
    draw = ImageDraw.Draw(image)
    margin = round(width * rng.uniform(0.03, 0.08))
    written: list[str] = []
    y = float(rng.randint(margin, max(margin, height // 6)))
    for _ in range(rng.randint(2, 9)):
        size = rng.choice((rng.uniform(12, 22), rng.uniform(22, 40), rng.uniform(40, 72)))
        if y + size * 1.3 > height - margin:
            break
        text = _next_text(texts, held_out)
        font = _face(rng, text, (latin + cjk) if text.isascii() else cjk, size)
        if font is None:
            continue
        text = _fit(draw, text, font, width - 2 * margin)
        if not text:
            continue
        text_width = draw.textlength(text, font=font)
        x = rng.choice((margin, (width - text_width) / 2, width - margin - text_width))
        behind = tuple(int(v) for v in (ground * (1 - y / height) + fade * y / height))
        if rng.random() < 0.3:  # a band of colour behind the line
            behind = tuple(rng.randint(0, 255) for _ in range(3))
            draw.rectangle((x - size * 0.3, y - size * 0.15, x + text_width + size * 0.3, y + size * 1.2), fill=behind)
        # a colour that stands out from what is behind it, as a designer would pick
        ink = tuple(rng.randint(0, 90) if sum(behind) > 3 * 128 else rng.randint(170, 255) for _ in range(3))
        draw.text((x, y), text, font=font, fill=ink)
        written.append(text)
        y += size * rng.uniform(1.4, 2.4)
    return cv2.cvtColor(np.asarray(image), cv2.COLOR_RGB2BGR), written


def degrade_web(rng: random.Random, image: np.ndarray) -> np.ndarray:
    """A little blur, and JPEG at the qualities such images are served at."""
    sigma = rng.uniform(0.0, 1.0)
    if sigma > 0.3:
        image = cv2.GaussianBlur(image, (0, 0), sigma)
    ok, encoded = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, rng.randint(50, 95)])
    if not ok:
        raise RuntimeError("OpenCV could not encode an image as JPEG")
    return encoded


def _next_text(texts: LineTexts, held_out: bool) -> str:
    while True:
        _, text = next(texts)
        if held_out_text(text) == held_out:
            return text


def degrade(rng: random.Random, page: np.ndarray, kind: str) -> np.ndarray:
    """Scanned (documents) or photographed (receipts): paper tone, a small turn, scale,
    blur, noise and JPEG."""
    paper = rng.randint(200, 250)
    image = (page.astype(np.float32) / 255 * (paper - 20) + 20).astype(np.uint8)
    height, width = image.shape
    if kind == "receipt":  # photographed: larger than the paper's dots, on a darker table
        scale = rng.uniform(1.6, 2.6)
        image = cv2.resize(image, (round(width * scale), round(height * scale)), interpolation=cv2.INTER_CUBIC)
        pad = round(image.shape[1] * rng.uniform(0.05, 0.2))
        image = cv2.copyMakeBorder(image, pad, pad, pad, pad, cv2.BORDER_CONSTANT, value=rng.randint(40, 140))
        height, width = image.shape
    angle = rng.uniform(-1.5, 1.5)
    turn = cv2.getRotationMatrix2D((width / 2, height / 2), angle, 1.0)
    image = cv2.warpAffine(image, turn, (width, height), flags=cv2.INTER_LINEAR, borderValue=paper)
    sigma = rng.uniform(0.0, 1.5)
    if sigma > 0.3:
        image = cv2.GaussianBlur(image, (0, 0), sigma)
    noise = np.random.default_rng(rng.randrange(2**32)).normal(0, rng.uniform(0, 8), image.shape)
    image = np.clip(image + noise, 0, 255).astype(np.uint8)
    colour = cv2.cvtColor(image, cv2.COLOR_GRAY2BGR)
    ok, encoded = cv2.imencode(".jpg", colour, [cv2.IMWRITE_JPEG_QUALITY, rng.randint(40, 95)])
    if not ok:
        raise RuntimeError("OpenCV could not encode a page as JPEG")
    return encoded


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--count", type=int, default=60)
    parser.add_argument("--seed", type=int, default=20261206)
    parser.add_argument("--set", choices=["pages", "web"], default="pages",
                        help="documents, small print and receipts; or small web images")
    parser.add_argument("--world", choices=sorted(WORLDS), default="held-out",
                        help="held-out texts and faces (the default), or the training world's")
    args = parser.parse_args(argv)
    from training.tiny_run import text_charset

    rng = random.Random(args.seed)
    charset = text_charset()
    texts = {"receipt": LineTexts(charset, args.seed, weights=RECEIPT_TEXTS),
             "document": LineTexts(charset, args.seed + 1, weights=DOCUMENT_TEXTS),
             "web image": LineTexts(charset, args.seed + 2, weights=WEB_TEXTS)}
    (args.out / "pages").mkdir(parents=True, exist_ok=True)
    rows = []
    for index in range(args.count):
        if args.set == "web":
            kind = "web image"
            image, lines = draw_web_image(rng, texts[kind], args.world)
            encoded = degrade_web(rng, image)
        else:
            kind = rng.choices([k for k, _ in KINDS], weights=[w for _, w in KINDS])[0]
            page, lines = draw_page(rng, kind, texts["receipt" if kind == "receipt" else "document"], args.world)
            encoded = degrade(rng, page, kind)
        name = f"pages/{args.world}-{index:03d}-{kind.replace(' ', '-')}.jpg"
        (args.out / name).write_bytes(encoded.tobytes())
        rows.append({"file": name, "kind": "page", "text": "\n".join(lines), "page_kind": kind})
    (args.out / "labels.jsonl").write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows),
                                           encoding="utf-8")
    print(f"{len(rows)} pages in {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
