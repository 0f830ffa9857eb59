"""Draws the sample images in this folder (run once; the PNGs are committed).

Needs Debian's fonts-wqy-microhei. The texts are ours, written for these samples."""

from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

FONT = "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc"
HERE = Path(__file__).parent

RECEIPT = [
    ("小店收据 Corner Shop Receipt", 34),
    ("日期 Date: 2026-11-24 14:05", 26),
    ("苹果 Apples 2 x 3.50 = 7.00", 26),
    ("牛奶 Milk 1 x 12.80 = 12.80", 26),
    ("合计 Total: 19.80 元", 30),
    ("谢谢惠顾 Thank you!", 28),
]


def draw_page(lines, path: Path) -> None:
    image = Image.new("RGB", (620, 60 + 58 * len(lines)), "white")
    draw = ImageDraw.Draw(image)
    y = 30
    for text, size in lines:
        draw.text((30, y), text, fill=(20, 20, 20), font=ImageFont.truetype(FONT, size))
        y += 58
    image.save(path, optimize=True)


def draw_line(text: str, path: Path) -> None:
    font = ImageFont.truetype(FONT, 32)
    left, top, right, bottom = font.getbbox(text)
    image = Image.new("RGB", (right + 16, bottom - top + 16), "white")
    ImageDraw.Draw(image).text((8, 8 - top), text, fill="black", font=font)
    image.save(path, optimize=True)


if __name__ == "__main__":
    draw_page(RECEIPT, HERE / "receipt.png")
    draw_line("光学字符识别 OCR 2026", HERE / "line.png")
