"""Line images: a text drawn in one of Debian's fonts, cropped the way a detector crops a
line, then degraded like a photo or a scan (albumentations, plus underlines, rules,
uneven light and stamp-coloured blotches drawn here)."""

from __future__ import annotations

import random
from dataclasses import dataclass
from functools import lru_cache, partial
from pathlib import Path

import cv2
import numpy as np
from PIL import Image, ImageDraw, ImageFont

from .font_coverage import fonts_covering
from .render_dots import dot_matrix
from .render_hand import HAND_SHARE, hand_faces, hand_fonts, hand_line
from .render_web import WEB_SHARE, tight_ends, web_line

# (file, face index in a .ttc, covers CJK). Debian packages: fonts-noto-cjk,
# fonts-wqy-microhei, fonts-arphic-ukai/uming, fonts-dejavu-core, fonts-liberation.
_CJK = [
    ("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc", 2),
    ("/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc", 2),
    ("/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc", 2),
    ("/usr/share/fonts/opentype/noto/NotoSerifCJK-Bold.ttc", 2),
    ("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc", 3),
    ("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc", 0),
    ("/usr/share/fonts/truetype/arphic/ukai.ttc", 0),
    ("/usr/share/fonts/truetype/arphic/uming.ttc", 0),
]
_LATIN = [
    ("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf", 0),
    ("/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf", 0),
    ("/usr/share/fonts/truetype/dejavu/DejaVuSansMono.ttf", 0),
    ("/usr/share/fonts/truetype/dejavu/DejaVuSerif.ttf", 0),
    ("/usr/share/fonts/truetype/liberation/LiberationSans-Regular.ttf", 0),
    ("/usr/share/fonts/truetype/liberation/LiberationSans-Bold.ttf", 0),
    ("/usr/share/fonts/truetype/liberation/LiberationSansNarrow-Regular.ttf", 0),
    ("/usr/share/fonts/truetype/liberation/LiberationSerif-Regular.ttf", 0),
    ("/usr/share/fonts/truetype/liberation/LiberationMono-Regular.ttf", 0),
    ("/usr/share/fonts/truetype/liberation/LiberationMono-Bold.ttf", 0),
]
_NOTO = "/usr/share/fonts/opentype/noto/"
# The recogniser issue's wider world (font set "v2"): Song, Hei and Kai cuts from thin to black.
# Debian packages: fonts-noto-cjk-extra, fonts-arphic-gbsn00lp/gkai00mp, fonts-cns11643-sung,
# fonts-lxgw-wenkai. Debian has no free FangSong.
_CJK_V2 = _CJK + [
    *((_NOTO + f"NotoSansCJK-{cut}.ttc", 2) for cut in ("Black", "DemiLight", "Light", "Medium")),
    *((_NOTO + f"NotoSerifCJK-{cut}.ttc", 2) for cut in ("Black", "Light", "Medium", "SemiBold")),
    ("/usr/share/fonts/truetype/arphic-gbsn00lp/gbsn00lp.ttf", 0),
    ("/usr/share/fonts/truetype/arphic-gkai00mp/gkai00mp.ttf", 0),
    ("/usr/share/fonts/truetype/cns11643/TW-Sung-98_1.ttf", 0),
    ("/usr/share/fonts/truetype/lxgw-wenkai/LXGWWenKai-Regular.ttf", 0),
    ("/usr/share/fonts/truetype/lxgw-wenkai/LXGWWenKai-Bold.ttf", 0),
    ("/usr/share/fonts/truetype/lxgw-wenkai/LXGWWenKai-Light.ttf", 0),
]
# Never trained on: the held-out lines are drawn in these (one Hei, one Kai, one Song/Mincho
# and two cuts of the trained families). Debian: fonts-wqy-zenhei, fonts-cns11643-kai,
# fonts-hanazono, fonts-noto-cjk-extra.
_CJK_HELD_OUT = [
    ("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc", 0),
    ("/usr/share/fonts/truetype/cns11643/TW-Kai-98_1.ttf", 0),
    ("/usr/share/fonts/truetype/hanazono/HanaMinA.ttf", 0),
    (_NOTO + "NotoSerifCJK-ExtraLight.ttc", 2),
    (_NOTO + "NotoSansCJK-Thin.ttc", 2),
]
# Font set "v3": v2 and what web and e-commerce images are lettered in beyond book faces:
# Hei and FangSong display cuts (cwTeX, traditional coverage: a line is drawn in them only
# where they have its characters), Droid Sans Fallback, BabelStone Han; Latin display faces.
# Debian: fonts-cwtex-heib fonts-cwtex-fs fonts-cwtex-kai fonts-cwtex-ming fonts-droid-fallback
# fonts-babelstone-han fonts-lobster fonts-bebas-neue fonts-comfortaa fonts-roboto fonts-lato
# fonts-open-sans fonts-cantarell.
_CJK_V3 = _CJK_V2 + [
    *((f"/usr/share/fonts/truetype/cwtex/{name}.ttf", 0) for name in ("cwheib", "cwfs", "cwkai", "cwming")),
    ("/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf", 0),
    ("/usr/share/fonts/truetype/babelstone/BabelStoneHan.ttf", 0),
]
_LATIN_DISPLAY = [
    ("/usr/share/fonts/opentype/lobster/lobster.otf", 0),
    *((f"/usr/share/fonts/opentype/bebas-neue/BebasNeue-{cut}.otf", 0) for cut in ("Bold", "Regular", "Light")),
    *((f"/usr/share/fonts/truetype/comfortaa/Comfortaa-{cut}.ttf", 0) for cut in ("Bold", "Regular")),
    *((f"/usr/share/fonts/truetype/lato/Lato-{cut}.ttf", 0) for cut in ("Black", "BoldItalic", "Hairline", "Regular")),
    *((f"/usr/share/fonts/truetype/open-sans/OpenSans-{cut}.ttf", 0) for cut in ("Bold", "Italic", "Light")),
    *((f"/usr/share/fonts/truetype/roboto/unhinted/RobotoTTF/Roboto-{cut}.ttf", 0)
      for cut in ("Black", "Bold", "Medium", "Thin", "Italic")),
    *((f"/usr/share/fonts/truetype/roboto/unhinted/RobotoCondensed-{cut}.ttf", 0)
      for cut in ("Bold", "Regular")),
    *((f"/usr/share/fonts/opentype/cantarell/Cantarell-{cut}.otf", 0) for cut in ("ExtraBold", "Regular")),
]
# Font set "v4": v3's faces, more hand faces (training/render_hand.py), and a face counts as
# having a character only where it draws it (drawn_only)
FONT_SETS = {"v1": _CJK, "v2": _CJK_V2, "v3": _CJK_V3, "v4": _CJK_V3, "held-out": _CJK_HELD_OUT}
LATIN_SETS = {"v3": _LATIN + _LATIN_DISPLAY, "v4": _LATIN + _LATIN_DISPLAY}  # the others: _LATIN
FONT_PACKAGES = ["fonts-noto-cjk", "fonts-wqy-microhei", "fonts-arphic-ukai", "fonts-arphic-uming",
                 "fonts-dejavu-core", "fonts-liberation"]
FONT_PACKAGES_V2 = FONT_PACKAGES + ["fonts-noto-cjk-extra", "fonts-arphic-gbsn00lp", "fonts-arphic-gkai00mp",
                                    "fonts-cns11643-sung", "fonts-cns11643-kai", "fonts-lxgw-wenkai",
                                    "fonts-wqy-zenhei", "fonts-hanazono"]
TEACHER_HEIGHT = 48  # stored images are at the teacher's height; the student's 32 derive from them


@lru_cache(maxsize=4)
def available_fonts(font_set: str = "v1") -> tuple[list[tuple[str, int]], list[tuple[str, int]]]:
    cjk = [f for f in FONT_SETS[font_set] if Path(f[0]).is_file()]
    latin = [f for f in LATIN_SETS.get(font_set, _LATIN) if Path(f[0]).is_file()]
    if not cjk:
        raise RuntimeError("no CJK font found; install the Debian packages " + " ".join(FONT_PACKAGES))
    return cjk, latin


def missing_faces(font_set: str, look: str = "print") -> list[str]:
    """The faces of a font set (and of its hand look) that are not installed. Rendering
    skips them, so shards made without them are not the set their command records: held-out
    lines drawn in the one held-out face installed read 4 points worse than in all five."""
    faces = FONT_SETS[font_set] + LATIN_SETS.get(font_set, _LATIN)
    if look == "hand":
        faces = faces + [face for faces_of_kind in hand_faces(font_set) for face in faces_of_kind]
    return sorted({path for path, _ in faces if not Path(path).is_file()})


class MissingGlyphs(ValueError):
    """No installed font draws every character of a line."""


@lru_cache(maxsize=256)
def _font(path: str, index: int, size: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(path, size, index=index)


def _is_latin(text: str) -> bool:
    return all(ord(ch) < 0x2000 for ch in text)


def _degrader(seed: int):
    import albumentations as A

    return A.Compose([
        A.OneOf([
            A.GaussianBlur(blur_limit=(3, 5), p=1.0),
            A.MotionBlur(blur_limit=(3, 5), p=1.0),
            A.Defocus(radius=(1, 2), p=1.0),
        ], p=0.35),
        A.Downscale(scale_range=(0.4, 0.9), p=0.25),
        A.RandomBrightnessContrast(brightness_limit=0.25, contrast_limit=(-0.5, 0.2), p=0.5),
        A.GaussNoise(std_range=(0.01, 0.06), p=0.3),
        A.ISONoise(p=0.1),
        A.ImageCompression(quality_range=(25, 95), p=0.4),
    ], seed=seed)


@dataclass
class LineRenderer:
    seed: int
    font_set: str = "v1"  # FONT_SETS: v1 made crnn-zh-v1's shards; its replay needs the same fonts
    # "web" / "hand": part of the lines drawn as in web images (training/render_web.py) or
    # as handwriting (training/render_hand.py)
    look: str = "print"
    tight_share: float = 0.0  # of the lines, cropped at the text's own ends (tight_ends)
    # of the lines, drawn at 9-17 px and enlarged to the teacher's height, as the recogniser
    # enlarges small print: FreeType's hinting and stroke dropout at those sizes are not a
    # large glyph shrunk (the degrader's Downscale)
    small_share: float = 0.0
    dot_share: float = 0.0  # of the print lines, printed in dots (training/render_dots.py)

    def __post_init__(self):
        self.rng = random.Random(self.seed)
        self.degrade = _degrader(self.seed)

    def render(self, text: str) -> np.ndarray:
        """BGR uint8 at the teacher's height (48), width by aspect ratio."""
        rng = self.rng
        drawn_only = self.font_set == "v4"
        if self.look == "hand" and rng.random() < HAND_SHARE:
            hand_cjk, hand_latin = hand_fonts(self.font_set)
            faces = fonts_covering(hand_latin + hand_cjk if _is_latin(text) else hand_cjk, text, drawn_only) \
                or fonts_covering(hand_cjk + hand_latin, text, drawn_only)
            if faces:  # else a print: no hand face has all of the line's characters
                return self._finish(*hand_line(rng, text, partial(_font, *rng.choice(faces))))
        cjk, latin = available_fonts(self.font_set)
        fonts = fonts_covering(latin + cjk if _is_latin(text) and latin and rng.random() < 0.7 else cjk, text,
                               drawn_only) or fonts_covering(cjk + latin, text, drawn_only)
        if not fonts:
            missing = sorted({ch for ch in text if not fonts_covering(cjk + latin, ch, drawn_only)})
            raise MissingGlyphs(f"no installed font has {''.join(missing)!r} ({' '.join(FONT_PACKAGES)})")
        path, index = rng.choice(fonts)
        small = bool(self.small_share) and rng.random() < self.small_share
        size = rng.randint(9, 17) if small else rng.randint(18, 44)
        font = _font(path, index, size)
        tight = bool(self.tight_share) and rng.random() < self.tight_share
        if self.look == "web" and rng.random() < WEB_SHARE:
            return self._finish(web_line(rng, text, font, size, tight), None, degrade=not small)
        dots = bool(self.dot_share) and rng.random() < self.dot_share
        light = rng.random() < 0.85
        background = (tuple(rng.randint(170, 255) for _ in range(3)) if light
                      else tuple(rng.randint(0, 90) for _ in range(3)))
        if rng.random() < 0.6:  # grey paper: no colour cast
            background = (background[0],) * 3
        contrast = rng.uniform(0.35, 1.0)  # faded thermal prints reach low contrast
        ink_base = [0, 0, 0] if light else [255, 255, 255]
        if rng.random() < 0.25:
            ink_base = [rng.randint(0, 255) for _ in range(3)]
        ink = tuple(int(b + (i - b) * contrast) for i, b in zip(ink_base, background))
        stroke = 1 if rng.random() < 0.08 and size > 24 else 0
        spacing = rng.choice([0, 0, 0, 1, 2, 4]) if rng.random() < 0.3 else 0

        left, top, right, bottom = font.getbbox(text, stroke_width=stroke)
        width = (right - left) + spacing * len(text)
        pad_x = [int(size * rng.uniform(0.05, 0.6)) for _ in range(2)]
        # A detector's box around a line of a receipt or a page often takes in slivers of
        # the lines above and below it (most dev-set receipt crops do)
        neighbours = rng.random() < 0.35
        pad_y = [int(size * rng.uniform(0.15, 0.5 if neighbours else 0.35) if neighbours
                     else size * rng.uniform(0.02, 0.35))
                 for _ in range(2)]
        # FreeType's boxes are whole pixels (Pillow types them as floats)
        canvas = Image.new("RGB", (max(8, int(width) + sum(pad_x)), max(8, int(bottom - top) + sum(pad_y))),
                           background)
        draw = ImageDraw.Draw(canvas)
        if neighbours:
            line_height = bottom - top
            for direction in (-1, 1):
                if rng.random() < 0.8:
                    sliver = "".join(rng.sample(text, len(text))) + "".join(rng.sample(text, len(text)))
                    gap = size * rng.uniform(0.05, 0.3)
                    y = pad_y[0] - top + direction * (line_height + gap)
                    draw.text((pad_x[0] - left - rng.uniform(0, 2) * size, y), sliver, font=font, fill=ink)
        if spacing:
            x: float = pad_x[0]
            for ch in text:
                draw.text((x - left, pad_y[0] - top), ch, font=font, fill=ink, stroke_width=stroke, stroke_fill=ink)
                x += font.getlength(ch) + spacing
        else:
            draw.text((pad_x[0] - left, pad_y[0] - top), text, font=font, fill=ink,
                      stroke_width=stroke, stroke_fill=ink)
        if dots:
            canvas = Image.fromarray(dot_matrix(rng, np.asarray(canvas), background, ink, size))
            draw = ImageDraw.Draw(canvas)
        if rng.random() < 0.12:  # underline, or a table rule above/below
            y = rng.choice([canvas.height - 1 - rng.randint(0, max(1, pad_y[1])), rng.randint(0, max(1, pad_y[0]))])
            draw.line([(0, y), (canvas.width, y)], fill=ink, width=rng.randint(1, 2))
        if rng.random() < 0.05:  # a stamp's red edge crossing the line
            cx, cy = rng.randint(0, canvas.width), rng.randint(-canvas.height, 2 * canvas.height)
            r = rng.randint(canvas.height, 3 * canvas.height)
            draw.ellipse([cx - r, cy - r, cx + r, cy + r], outline=(200, 40, 40), width=rng.randint(1, 3))
        image = cv2.cvtColor(np.asarray(canvas), cv2.COLOR_RGB2BGR)
        if tight:
            image = tight_ends(rng, image, pad_x[0], pad_x[0] + int(width), size)
        return self._finish(image, background, degrade=not small)

    def _finish(self, image: np.ndarray, background, degrade: bool = True) -> np.ndarray:
        """Geometry, light and the camera's degradations, then the teacher's height. Small
        print is degraded enough by its size: blurred or shrunk again, it was unreadable."""
        rng = self.rng
        image = self._geometry(image, background)
        if rng.random() < 0.3:
            image = self._uneven_light(image)
        if degrade:
            image = self.degrade(image=image)["image"]
        height, width = image.shape[:2]
        new_width = max(TEACHER_HEIGHT // 2, int(round(width * TEACHER_HEIGHT / height)))
        return cv2.resize(image, (new_width, TEACHER_HEIGHT),
                          interpolation=cv2.INTER_AREA if height > TEACHER_HEIGHT else cv2.INTER_LINEAR)

    def _geometry(self, image: np.ndarray, background) -> np.ndarray:
        """A small rotation/shear/perspective, as a detector's quad crop leaves it."""
        rng = self.rng
        if rng.random() > 0.5:
            return image
        h, w = image.shape[:2]
        border = dict(borderMode=cv2.BORDER_CONSTANT, borderValue=tuple(int(c) for c in background[::-1])) \
            if background is not None else dict(borderMode=cv2.BORDER_REPLICATE)
        jitter = lambda scale: rng.uniform(-scale, scale) * h  # noqa: E731
        src = np.array([[0, 0], [w, 0], [w, h], [0, h]], np.float32)
        dst = np.array([[jitter(0.08), jitter(0.08)], [w + jitter(0.08), jitter(0.08)],
                        [w + jitter(0.08), h + jitter(0.08)], [jitter(0.08), h + jitter(0.08)]], np.float32)
        shear = rng.uniform(-0.15, 0.15) * h
        dst[:2, 0] += shear
        dst -= dst.min(axis=0)
        size = tuple(int(v) + 1 for v in dst.max(axis=0))
        matrix = cv2.getPerspectiveTransform(src, dst)
        return cv2.warpPerspective(image, matrix, size, flags=cv2.INTER_LINEAR, **border)

    def _uneven_light(self, image: np.ndarray) -> np.ndarray:
        h, w = image.shape[:2]
        rng = self.rng
        ramp = np.linspace(rng.uniform(0.55, 1.0), rng.uniform(0.8, 1.15), w, dtype=np.float32)
        if rng.random() < 0.5:
            ramp = ramp[::-1]
        return np.clip(image.astype(np.float32) * ramp[None, :, None], 0, 255).astype(np.uint8)
