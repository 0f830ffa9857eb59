"""Lines that look handwritten, the domain the renders left out: each character (a Latin
word as a whole) drawn on its own in a handwriting or Kai face, its size, angle, advance
and baseline jittered, the baseline drifting, the strokes thickened or thinned and warped
by a smooth random field, slanted, in a pen's ink (varying pressure) on paper that may be
ruled. LineRenderer(look="hand") draws part of its lines this way.

No font is handwriting, so the faces only start it: the jitter and the warp make two
renders of one character differ as two hand-written ones do. The held-out lines use faces
that are never trained on (Klee One; dkg, femkeklaver and Kristi for Latin), as the held-out
prints do."""

from __future__ import annotations

import random
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path

import cv2
import numpy as np
from PIL import Image, ImageDraw, ImageFont

HAND_SHARE = 0.7  # of a hand-look renderer's lines; the rest are drawn as prints

# Debian: fonts-lxgw-wenkai, fonts-arphic-gkai00mp, fonts-arphic-ukai, fonts-cwtex-kai,
# fonts-kiloji (Japanese longhand: a line is drawn in it only where it has the characters)
_HAND_CJK = [
    *((f"/usr/share/fonts/truetype/lxgw-wenkai/LXGWWenKai-{cut}.ttf", 0) for cut in ("Regular", "Light", "Bold")),
    ("/usr/share/fonts/truetype/arphic-gkai00mp/gkai00mp.ttf", 0),
    ("/usr/share/fonts/truetype/arphic/ukai.ttc", 0),
    ("/usr/share/fonts/truetype/cwtex/cwkai.ttf", 0),
    *((f"/usr/share/fonts/truetype/kiloji/kiloji{cut}.ttf", 0) for cut in ("", "_b", "_d", "_p")),
]
# Debian: fonts-breip fonts-bwht fonts-humor-sans fonts-comic-neue fonts-dancingscript
# fonts-ecolier-court fonts-kaushanscript
_HAND_LATIN = [
    ("/usr/share/fonts/truetype/breip/Breip.ttf", 0),
    *((f"/usr/share/fonts/opentype/bwht/BecauseWe{name}-Regular.otf", 0)
      for name in ("Build", "Connect", "Create", "Learn", "Mentor", "Organize")),
    ("/usr/share/fonts/truetype/humor-sans/Humor-Sans.ttf", 0),
    *((f"/usr/share/fonts/opentype/comic-neue/ComicNeue-{cut}.otf", 0)
      for cut in ("Regular", "Bold", "Italic", "Light")),
    *((f"/usr/share/fonts/opentype/dancingscript/DancingScript-{cut}.otf", 0) for cut in ("Regular", "Bold")),
    ("/usr/share/fonts/truetype/ecolier-court/Ecolier-court.ttf", 0),
    ("/usr/share/fonts/opentype/kaushanscript/KaushanScript-Regular.otf", 0),
]
# Never trained on. Debian: fonts-klee, fonts-cns11643-kai, fonts-dkg-handwriting,
# fonts-femkeklaver, fonts-kristi
_HAND_CJK_HELD_OUT = [
    ("/usr/share/fonts/truetype/klee/KleeOne-Regular.ttf", 0),
    ("/usr/share/fonts/truetype/klee/KleeOne-SemiBold.ttf", 0),
    ("/usr/share/fonts/truetype/cns11643/TW-Kai-98_1.ttf", 0),
]
_HAND_LATIN_HELD_OUT = [
    *((f"/usr/share/fonts/truetype/fifthhorseman/dkg{cut}.ttf", 0) for cut in ("", "Bd", "It")),
    ("/usr/share/fonts/truetype/femkeklaver/femkeklaver.ttf", 0),
    ("/usr/share/fonts/truetype/kristi/Kristi.ttf", 0),
]
# Font set "v4" adds brush and Kai faces (Japanese brush: a line is drawn in one only where it
# draws all of the line's characters, training/font_coverage.py's drawn_only). Debian:
# fonts-kouzan-mouhitsu, fonts-aoyagi-soseki, fonts-aoyagi-kouzan-t, fonts-arphic-bkai00mp. Not
# KouzanBrushFontSousyo: grass script, which no reader of receipts and notes meets.
_HAND_CJK_V4 = _HAND_CJK + [
    *((f"/usr/share/fonts/truetype/kouzan-mouhitsu/kouzan-mouhitsu{cut}.ttf", 0) for cut in ("", "-gyosho")),
    ("/usr/share/fonts/truetype/aoyagi-soseki/aoyagi-soseki.ttf", 0),
    ("/usr/share/fonts/truetype/aoyagi-kouzan-t/AoyagiKouzanT.ttf", 0),
    ("/usr/share/fonts/truetype/arphic-bkai00mp/bkai00mp.ttf", 0),
]
HAND_FONT_PACKAGES = ["fonts-lxgw-wenkai", "fonts-arphic-gkai00mp", "fonts-arphic-ukai", "fonts-cwtex-kai",
                      "fonts-kiloji", "fonts-breip", "fonts-bwht", "fonts-humor-sans", "fonts-comic-neue",
                      "fonts-dancingscript", "fonts-ecolier-court", "fonts-kaushanscript", "fonts-klee",
                      "fonts-cns11643-kai", "fonts-dkg-handwriting", "fonts-femkeklaver", "fonts-kristi",
                      "fonts-kouzan-mouhitsu", "fonts-aoyagi-soseki", "fonts-aoyagi-kouzan-t", "fonts-arphic-bkai00mp"]


@lru_cache(maxsize=4)  # asked for every hand line
def hand_fonts(font_set: str) -> tuple[list[tuple[str, int]], list[tuple[str, int]]]:
    """(CJK, Latin) faces installed for a font set's hand-look lines: the held-out ones, v4's,
    or the trained ones of the sets before it."""
    cjk, latin = hand_faces(font_set)
    return [f for f in cjk if Path(f[0]).is_file()], [f for f in latin if Path(f[0]).is_file()]


def hand_faces(font_set: str) -> tuple[list[tuple[str, int]], list[tuple[str, int]]]:
    """(CJK, Latin) hand faces of a font set, installed or not."""
    if font_set == "held-out":
        return _HAND_CJK_HELD_OUT, _HAND_LATIN_HELD_OUT
    return (_HAND_CJK_V4 if font_set == "v4" else _HAND_CJK), _HAND_LATIN


def _tokens(text: str) -> list[str]:
    """What a hand draws in one go: a run of Latin letters and digits, or one character."""
    tokens: list[str] = []
    for ch in text:
        if tokens and ch.isascii() and ch.isalnum() and tokens[-1][-1].isascii() and tokens[-1][-1].isalnum():
            tokens[-1] += ch
        else:
            tokens.append(ch)
    return tokens


def _glyph(rng: random.Random, token: str, font: ImageFont.FreeTypeFont, size: int) -> np.ndarray:
    """An ink mask (uint8 0-255) of one token, turned by a few degrees."""
    left, top, right, bottom = font.getbbox(token)
    pad = max(2, size // 6)
    image = Image.new("L", (max(1, int(right - left)) + 2 * pad, max(1, int(bottom - top)) + 2 * pad), 0)
    ImageDraw.Draw(image).text((pad - left, pad - top), token, font=font, fill=255)
    turned = image.rotate(rng.uniform(-8, 8), resample=Image.Resampling.BILINEAR, expand=True)
    return np.asarray(turned)


def _warp(rng: random.Random, mask: np.ndarray, size: int) -> np.ndarray:
    """A smooth random displacement of every pixel (elastic distortion, Simard et al. 2003)."""
    h, w = mask.shape
    sigma, alpha = size * rng.uniform(0.3, 0.6), size * rng.uniform(0.03, 0.09)
    field = np.random.default_rng(rng.getrandbits(32)).uniform(-1, 1, (2, h, w)).astype(np.float32)
    dx, dy = (cv2.GaussianBlur(f, (0, 0), sigma) for f in field)
    dx, dy = (d * (alpha / max(float(np.abs(d).max()), 1e-6)) for d in (dx, dy))
    xs, ys = np.meshgrid(np.arange(w, dtype=np.float32), np.arange(h, dtype=np.float32))
    return cv2.remap(mask, xs + dx, ys + dy, cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT, borderValue=0)


def hand_line(rng: random.Random, text: str,
              face: Callable[[int], ImageFont.FreeTypeFont]) -> tuple[np.ndarray, tuple[int, int, int]]:
    """BGR uint8 of `text` written by hand in `face` (a size -> the face at that size), and
    the paper's RGB."""
    size = rng.randint(24, 44)
    tokens = _tokens(text)
    glyphs: list[np.ndarray | None] = []
    for token in tokens:
        if token.isspace():
            glyphs.append(None)
            continue
        scale = rng.uniform(0.82, 1.18)
        glyphs.append(_glyph(rng, token, face(int(size * scale)), size))
    height = int(size * 2.2)
    width = sum(size // 2 if g is None else g.shape[1] for g in glyphs) + 2 * size
    mask = np.zeros((height, width), np.uint8)
    period, phase, drift = rng.uniform(4, 14) * size, rng.uniform(0, 2 * np.pi), rng.uniform(0, 0.12) * size
    x = int(size * rng.uniform(0.1, 0.5))
    for glyph in glyphs:
        if glyph is None:
            x += int(size * rng.uniform(0.3, 0.7))
            continue
        gh, gw = glyph.shape
        baseline = height / 2 + drift * np.sin(2 * np.pi * x / period + phase) + rng.gauss(0, 0.04) * size
        y = int(np.clip(baseline - gh / 2, 0, height - gh))
        region = mask[y : y + gh, x : x + gw]
        np.maximum(region, glyph[: region.shape[0], : region.shape[1]], out=region)
        # the pad round each glyph (a sixth of its size, each side) is most of the advance's jitter
        x += int(gw - 2 * max(2, size // 6) + size * rng.uniform(-0.02, 0.18))
    mask = mask[:, : min(width, x + int(size * rng.uniform(0.1, 0.5)))]
    weight = rng.random()
    if weight < 0.3:  # a broad pen, or pressure
        mask = cv2.dilate(mask, np.ones((2, 2) if size < 34 else (3, 3), np.uint8))
    elif weight < 0.45 and size >= 30:  # a fine pen
        mask = cv2.erode(mask, np.ones((2, 2), np.uint8))
    mask = _warp(rng, mask, size)
    shear = rng.uniform(-0.12, 0.28)  # hands lean right more often than left
    h, w = mask.shape
    matrix = np.array([[1, -shear, max(0.0, shear) * h], [0, 1, 0]], np.float32)
    mask = cv2.warpAffine(mask, matrix, (w + int(abs(shear) * h) + 1, h), borderValue=0)
    rows = np.flatnonzero(mask.max(axis=1) > 40)
    if len(rows):  # the detector's box: the ink and a margin
        margin = [int(size * rng.uniform(0.05, 0.35)) for _ in range(2)]
        mask = mask[max(0, rows[0] - margin[0]) : rows[-1] + 1 + margin[1]]
    tint = [rng.randint(225, 255) for _ in range(3)] if rng.random() < 0.5 else [rng.randint(235, 255)] * 3
    paper = (tint[0], tint[1], tint[2])
    ink = rng.choice([(rng.randint(10, 60), rng.randint(20, 70), rng.randint(110, 190)),  # ballpoint blue
                      (rng.randint(0, 50),) * 3,  # black or pencil-dark
                      (rng.randint(60, 110),) * 3,  # pencil
                      (rng.randint(150, 200), rng.randint(10, 50), rng.randint(10, 50))])  # red
    canvas = np.empty((*mask.shape, 3), np.float32)
    canvas[:] = paper
    if rng.random() < 0.3:  # ruled paper: a line under the writing, light blue or grey
        y = min(mask.shape[0] - 1, int(mask.shape[0] * rng.uniform(0.75, 0.98)))
        rule = (rng.randint(150, 200), rng.randint(180, 220), rng.randint(220, 250))
        cv2.line(canvas, (0, y), (mask.shape[1], y), rule, 1)
    pressure = cv2.GaussianBlur(np.random.default_rng(rng.getrandbits(32)).uniform(0.65, 1.0, mask.shape)
                                .astype(np.float32), (0, 0), size * 0.4)
    alpha = (mask.astype(np.float32) / 255 * np.clip(pressure / max(float(pressure.max()), 1e-6), 0.5, 1))[..., None]
    canvas = canvas * (1 - alpha) + np.array(ink, np.float32) * alpha
    return cv2.cvtColor(np.clip(canvas, 0, 255).astype(np.uint8), cv2.COLOR_RGB2BGR), paper
