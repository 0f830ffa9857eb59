"""The hand look (training/render_hand.py): lines written character by character in
handwriting and Kai faces, jittered and warped, still legible; the held-out lines in faces
that training never draws."""

import random
from functools import partial

import numpy as np
import pytest
from PIL import ImageFont

import training.render as render
from training.render import TEACHER_HEIGHT, LineRenderer
from training.render_hand import _tokens, hand_fonts, hand_line

TEXTS = ["今天下午三点开会", "收到，谢谢！", "明天记得带作业本", "Meeting at 3pm", "电话 13812345678",
         "北京市海淀区中关村大街27号", "合计 45.80 元", "请于周五前交报告"]


def test_held_out_hand_faces_are_never_trained_on():
    from training import render_hand

    declared_trained = render_hand._HAND_CJK_V4 + render_hand._HAND_LATIN
    trained = set(declared_trained) | set(render._LATIN) | {
        f for name, fonts in render.FONT_SETS.items() if name != "held-out" for f in fonts}
    trained |= {f for fonts in render.LATIN_SETS.values() for f in fonts}
    held_out = set(render_hand._HAND_CJK_HELD_OUT + render_hand._HAND_LATIN_HELD_OUT)
    assert held_out and declared_trained
    assert not held_out & trained
    # scripts/test installs them all, so that the tests below draw by hand
    assert all(sum(hand_fonts(font_set), []) for font_set in ("v3", "v4", "held-out"))
    assert set(render_hand._HAND_CJK) < set(hand_fonts("v4")[0])


def test_a_hand_drawn_character_differs_each_time_it_is_written():
    face = partial(render._font, *hand_fonts("v3")[0][0])
    first, second = (hand_line(random.Random(seed), "永永永", face)[0] for seed in (1, 2))
    assert first.shape != second.shape or not np.array_equal(first, second)
    assert _tokens("TOTAL 45.80元") == ["TOTAL", " ", "45", ".", "80", "元"]


def test_hand_lines_are_replayable_from_their_seed(monkeypatch):
    monkeypatch.setattr(render, "HAND_SHARE", 1.0)
    first, again = LineRenderer(9, "v3", look="hand"), LineRenderer(9, "v3", look="hand")
    for text in TEXTS:
        image = first.render(text)
        assert image.shape[0] == TEACHER_HEIGHT and image.dtype == np.uint8
        assert np.array_equal(image, again.render(text))


@pytest.mark.parametrize("font_set", ["v3", "v4", "held-out"])
def test_the_teacher_reads_most_hand_lines(monkeypatch, teacher_pack, font_set):
    """Jitter and warp within what a reader reads: PP-OCRv6 small (the teacher) reads most
    lines exactly (20 of these 24 when this was written), so the lines teach handwriting, not noise."""
    from training.batches import normalised
    from training.measure import recognizer

    monkeypatch.setattr(render, "HAND_SHARE", 1.0)
    renderer = LineRenderer(21, font_set, look="hand")
    teacher = recognizer(teacher_pack)
    texts = TEXTS * 3
    readings = teacher.recognize([renderer.render(text) for text in texts])
    exact = sum(normalised(text) == normalised(read) for text, (read, _) in zip(texts, readings))
    assert exact >= 0.5 * len(texts), exact


def test_from_set_v4_a_face_draws_a_line_only_where_it_draws_every_character():
    """kiloji maps 1,030 of the texts' characters (and the brush faces of set v4 thousands)
    to empty glyphs; a line drawn in one would be a gap labelled as text."""
    from training.font_coverage import _code_points, fonts_covering
    from training.render_hand import _HAND_CJK_V4

    kiloji = ("/usr/share/fonts/truetype/kiloji/kiloji.ttf", 0)
    assert fonts_covering([kiloji], "价格¥5") == [kiloji]  # sets before v4, as their shards were drawn
    assert fonts_covering([kiloji], "价格¥5", drawn_only=True) == []
    for path, index in _HAND_CJK_V4:  # what counts as drawn is what Pillow draws
        face = ImageFont.truetype(path, 40, index=index, layout_engine=ImageFont.Layout.BASIC)
        drawn, mapped = _code_points(path, index, True), _code_points(path, index)
        han = [c for c in sorted(mapped) if 0x4E00 <= c <= 0x9FFF]
        samples = [c for c in han if c in drawn][-20:], [c for c in han if c not in drawn][-20:]
        for codes, inked in zip(samples, (True, False)):
            assert [chr(c) for c in codes if (face.getmask(chr(c)).getbbox() is not None) != inked] == []


def test_scripts_test_installs_every_hand_face_package():
    from training.render_hand import HAND_FONT_PACKAGES

    from conftest import REPO

    installer = (REPO / "scripts" / "test").read_text()
    assert [package for package in HAND_FONT_PACKAGES if package not in installer] == []


def test_a_shard_command_refuses_a_font_set_whose_faces_are_missing(monkeypatch, tmp_path):
    """Rendering skips the faces that are not installed; the command that makes recorded
    shards must not: held-out lines drawn in one face of five are another held-out set."""
    from training import tiny_run

    absent = ("/usr/share/fonts/truetype/absent/Absent-Regular.ttf", 0)
    monkeypatch.setitem(render.FONT_SETS, "held-out", [*render.FONT_SETS["held-out"], absent])
    assert absent[0] in render.missing_faces("held-out")
    assert absent[0] in render.missing_faces("held-out", look="hand")
    assert absent[0] not in render.missing_faces("v4")
    with pytest.raises(SystemExit) as refused:
        tiny_run.main(["data", "--out", str(tmp_path / "shards"), "--shards", "1", "--held-out"])
    assert refused.value.code == 2 and not (tmp_path / "shards").exists()
