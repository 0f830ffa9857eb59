"""Word boxes against the glyphs: pages of Chinese and English text rendered here with PIL in
the fonts scripts/test installs, each word's true box taken from its own ink, read by the
real engine (default pack), upright and turned a quarter turn."""

import unicodedata

import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFont

FONTS = {
    "wqy-microhei": "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "noto-sans-cjk": "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "noto-serif-cjk": "/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc",
    "dejavu-sans": "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
    "liberation-serif": "/usr/share/fonts/truetype/liberation/LiberationSerif-Regular.ttf",
}
CHINESE = ["发票号码 Invoice No 8675309", "扫描文档 Scanned Document", "今天天气很好 we walk to the park",
           "合计金额 Total amount 42"]
ENGLISH = ["The quick brown fox jumps", "over the lazy dog again", "Receipt number and date"]
MIN_IOU = 0.5
MIN_MATCHED = 0.9  # the bar: this share of rendered words found with IoU >= MIN_IOU


def true_words(text: str) -> list[tuple[int, str]]:
    """(offset, word) of each word as the engine should cut `text`: a CJK character alone,
    other characters in runs between spaces and CJK characters (written out independently of
    ocr_engine/words.py)."""
    words: list[tuple[int, str]] = []
    run_start = None
    for index, char in enumerate(text + " "):
        wide = unicodedata.east_asian_width(char) in ("W", "F")
        if (char == " " or wide) and run_start is not None:
            words.append((run_start, text[run_start:index]))
            run_start = None
        if wide:
            words.append((index, char))
        elif char != " " and run_start is None:
            run_start = index
    return words


def render_page(lines: list[str], font_path: str, size: int, page=(1100, 560)):
    """A page of `lines` (BGR) and each word's ink box (left, top, right, bottom)."""
    image = Image.new("RGB", page, "white")
    draw = ImageDraw.Draw(image)
    font = ImageFont.truetype(font_path, size)
    truth = []
    for row, text in enumerate(lines):
        x, y = 40, 40 + row * int(size * 2.2)
        draw.text((x, y), text, fill=(20, 20, 20), font=font)
        for offset, word in true_words(text):
            mask = Image.new("L", page, 0)
            ImageDraw.Draw(mask).text((x + font.getlength(text[:offset]), y), word, fill=255, font=font)
            ys, xs = np.nonzero(np.asarray(mask))
            truth.append((word, (xs.min(), ys.min(), xs.max() + 1, ys.max() + 1)))
    return np.asarray(image)[:, :, ::-1].copy(), truth


def quarter_turn(image: np.ndarray, truth: list) -> tuple[np.ndarray, list]:
    """The page turned a quarter turn counterclockwise (np.rot90) and its boxes with it."""
    width = image.shape[1]
    turned = [(word, (top, width - right, bottom, width - left)) for word, (left, top, right, bottom) in truth]
    return np.ascontiguousarray(np.rot90(image)), turned


def iou(a, b) -> float:
    across = max(0, min(a[2], b[2]) - max(a[0], b[0]))
    down = max(0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = across * down
    return inter / ((a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter)


def bounds(box) -> tuple[int, int, int, int]:
    xs, ys = [p[0] for p in box], [p[1] for p in box]
    return min(xs), min(ys), max(xs) + 1, max(ys) + 1  # pixel corners -> the box around those pixels


def matched(result, truth) -> list[bool]:
    found = [bounds(word.box) for line in result.lines for word in line.words]
    return [any(iou(box, f) >= MIN_IOU for f in found) for _, box in truth]


@pytest.fixture(scope="module")
def pages():
    made = {}
    for name, path in FONTS.items():
        lines = CHINESE if "cjk" in name or "wqy" in name else ENGLISH
        for size in (28, 44):
            made[f"{name} {size}px"] = render_page(lines, path, size)
    made["wqy-microhei 36px, a quarter turn"] = quarter_turn(*render_page(CHINESE, FONTS["wqy-microhei"], 36))
    made["dejavu-sans 36px, three quarter turns"] = quarter_turn(
        *quarter_turn(*quarter_turn(*render_page(ENGLISH, FONTS["dejavu-sans"], 36))))
    return made


def test_rendered_words_are_found_at_their_glyphs(engine, pages):
    hits, total, report = 0, 0, []
    for name, (image, truth) in pages.items():
        found = matched(engine.read(image, mode="page"), truth)
        hits, total = hits + sum(found), total + len(found)
        report.append(f"{name}: {sum(found)}/{len(found)}")
    assert hits >= MIN_MATCHED * total, "; ".join(report)


def test_a_turned_page_has_its_words_where_the_upright_page_has_them_turned(engine, pages):
    image, truth = pages["wqy-microhei 36px, a quarter turn"]
    found = matched(engine.read(image, mode="page"), truth)
    assert sum(found) >= MIN_MATCHED * len(found)


def test_each_chinese_character_is_a_word_and_latin_words_split_at_spaces(engine):
    image, _ = render_page(["合计金额 Total amount 42元"], FONTS["noto-sans-cjk"], 40, page=(900, 120))
    (line,) = engine.read(image, mode="page").lines
    assert line.text.replace(" ", "") == "合计金额Totalamount42元"
    assert [word.text for word in line.words] == ["合", "计", "金", "额", "Total", "amount", "42", "元"]
    assert all(0 < word.confidence <= 1 for word in line.words)
    lefts = [bounds(word.box)[0] for word in line.words]
    assert lefts == sorted(lefts)


def test_a_line_read_as_a_whole_image_has_its_words_too(engine):
    image, truth = render_page(["扫描文档 Scanned"], FONTS["wqy-microhei"], 40, page=(420, 70))
    (line,) = engine.read(image, mode="line").lines
    assert sum(matched(engine.read(image, mode="line"), truth)) >= MIN_MATCHED * len(truth)
    assert "".join(word.text for word in line.words) == line.text.replace(" ", "")


def render_columns(columns: list[str], font_path: str, size: int = 40, page=(400, 560)):
    """Vertical columns, right to left, a character under another, and each one's ink box."""
    image = Image.new("RGB", page, "white")
    draw = ImageDraw.Draw(image)
    font = ImageFont.truetype(font_path, size)
    truth = []
    for column, text in enumerate(columns):
        x = page[0] - 100 - column * int(size * 2.75)
        for row, char in enumerate(text):
            y = 30 + row * int(size * 1.25)
            draw.text((x, y), char, fill=(20, 20, 20), font=font)
            mask = Image.new("L", page, 0)
            ImageDraw.Draw(mask).text((x, y), char, fill=255, font=font)
            ys, xs = np.nonzero(np.asarray(mask))
            truth.append((char, (xs.min(), ys.min(), xs.max() + 1, ys.max() + 1)))
    return np.asarray(image)[:, :, ::-1].copy(), truth


@pytest.mark.parametrize("font", ["wqy-microhei", "noto-serif-cjk"])
def test_the_characters_of_vertical_columns_are_found_at_their_glyphs(engine, font):
    image, truth = render_columns(["春眠不觉晓处处闻啼鸟", "夜来风雨声花落知多少", "床前明月光疑是地上霜"], FONTS[font])
    found = matched(engine.read(image, mode="page"), truth)
    assert sum(found) >= MIN_MATCHED * len(found)
