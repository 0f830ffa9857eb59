"""Pages drawn for the layout tests: vertical Chinese columns, a mixed sign, and horizontal
pages to turn, in the CJK fonts scripts/test installs from Debian."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont

FONTS = {
    "noto-sans": "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "noto-serif": "/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc",
    "wqy-microhei": "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "ukai": "/usr/share/fonts/truetype/arphic/ukai.ttc",
    "uming": "/usr/share/fonts/truetype/arphic/uming.ttc",
}

COLUMNS = [
    "春眠不觉晓处处闻啼鸟",
    "夜来风雨声花落知多少",
    "白日依山尽黄河入海流",
    "欲穷千里目更上一层楼",
    "床前明月光疑是地上霜",
    "举头望明月低头思故乡",
]

ROWS = [
    "今天的会议改在下午三点举行",
    "请各部门负责人准时参加讨论",
    "会议地点在公司三楼第二会议室",
    "如有问题请联系行政部王小姐",
    "电话号码是八八六六五五四四",
    "谢谢大家的配合与支持",
]


def font(name: str, size: int) -> ImageFont.FreeTypeFont:
    path = FONTS[name]
    assert Path(path).is_file(), f"{path} is missing: scripts/test installs the CJK fonts from Debian"
    return ImageFont.truetype(path, size)


def to_bgr(image: Image.Image) -> np.ndarray:
    return np.ascontiguousarray(np.asarray(image.convert("RGB"))[:, :, ::-1])


def vertical_page(font_name: str, size: int, columns: list[str] = COLUMNS) -> tuple[np.ndarray, str]:
    """Columns set top to bottom, the first on the right, as a book is; and the text in
    reading order."""
    face = font(font_name, size)
    pitch, gap, margin = int(size * 1.15), int(size * 0.9), size
    height = 2 * margin + pitch * max(len(c) for c in columns)
    width = 2 * margin + len(columns) * size + (len(columns) - 1) * gap
    image = Image.new("L", (width, height), 255)
    draw = ImageDraw.Draw(image)
    for k, column in enumerate(columns):
        x = width - margin - size - k * (size + gap)
        for j, char in enumerate(column):
            draw.text((x + size / 2, margin + j * pitch + pitch / 2), char, font=face, fill=0, anchor="mm")
    return to_bgr(image), "".join(columns)


def titled_vertical_page(font_name: str, size: int, title: str = "唐诗选读第一卷") -> tuple[np.ndarray, str]:
    """A vertical page under a title set across it, as a book's first page; the text in
    reading order: the title, then the columns right to left."""
    columns, text = vertical_page(font_name, size)
    height, width = columns.shape[:2]
    page = Image.new("L", (width, height + 2 * size), 255)
    page.paste(Image.fromarray(columns[:, :, 0]), (0, 2 * size))
    ImageDraw.Draw(page).text((width / 2, size), title, font=font(font_name, size), fill=0, anchor="mm")
    return to_bgr(page), title + text


def horizontal_page(font_name: str, size: int, rows: list[str] = ROWS) -> tuple[np.ndarray, str]:
    face = font(font_name, size)
    pitch, margin = int(size * 1.8), size
    width = 2 * margin + size * max(len(r) for r in rows)
    image = Image.new("L", (width, 2 * margin + pitch * len(rows)), 255)
    draw = ImageDraw.Draw(image)
    for k, row in enumerate(rows):
        draw.text((margin, margin + k * pitch), row, font=face, fill=0)
    return to_bgr(image), "".join(rows)


def mixed_sign(font_name: str, size: int) -> tuple[np.ndarray, list[str]]:
    """A shop front: a title across the top, two vertical couplets down the sides, a
    line of hours across the bottom. The reading this engine promises: the title, the
    columns right to left, the bottom line."""
    face = font(font_name, size)
    title, hours = "长安老字号茶馆", "营业时间早八点至晚十点"
    right, left = "一杯清茶迎远客", "两袖春风送故人"
    pitch, margin = int(size * 1.15), size
    width = 2 * margin + size * len(hours) + 4 * size
    col_top = margin + 3 * size
    height = col_top + pitch * len(right) + 3 * size
    image = Image.new("L", (width, height), 255)
    draw = ImageDraw.Draw(image)
    draw.text((width / 2, margin + size / 2), title, font=face, fill=0, anchor="mm")
    for x, column in ((width - margin - size, right), (margin, left)):
        for j, char in enumerate(column):
            draw.text((x + size / 2, col_top + j * pitch + pitch / 2), char, font=face, fill=0, anchor="mm")
    draw.text((width / 2, height - margin - size / 2), hours, font=face, fill=0, anchor="mm")
    return to_bgr(image), [title, right, left, hours]


def rotated(image: np.ndarray, degrees: float) -> np.ndarray:
    """`image` turned counterclockwise by `degrees` on a canvas large enough to hold it all,
    the corners filled white."""
    pil = Image.fromarray(np.ascontiguousarray(image[:, :, ::-1]))
    return to_bgr(pil.rotate(degrees, resample=Image.BICUBIC, expand=True, fillcolor=(255, 255, 255)))
