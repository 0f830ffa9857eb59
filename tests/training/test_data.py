"""Training lines: realistic text, rendered in Debian's fonts, read once by the teacher."""

import unicodedata

import pytest

from training.line_texts import LineTexts
from training.render import TEACHER_HEIGHT, LineRenderer
from training.student import pretrained_charset


@pytest.fixture(scope="module")
def charset(pretrained):
    return set(pretrained_charset(pretrained[1]))


def test_line_texts_are_reproducible_and_inside_the_charset(charset):
    first = [next(LineTexts(charset, seed=7))] + [t for _, t in zip(range(300), LineTexts(charset, 7))]
    again = [next(LineTexts(charset, seed=7))] + [t for _, t in zip(range(300), LineTexts(charset, 7))]
    assert first == again
    texts = [text for _, text in first]
    assert all(set(text) <= charset for text in texts)
    assert sum("," in t for t in texts) > 10  # receipt lines with commas are plentiful
    assert sum(any("\u4e00" <= c <= "\u9fff" for c in t) for t in texts) > 60


def test_cells_are_one_to_three_characters_and_leave_the_other_lines_as_they_were(charset):
    cells = [text for _, text in zip(range(400), LineTexts(charset, 7, cell_share=0.5))]
    lengths = [len(text) for _, text in cells]
    assert 120 < sum(length <= 3 for length in lengths) < 320
    assert sum(length == 1 for length in lengths) > 40  # lone glyphs, as in a table's cells
    assert sum(text.isdigit() for _, text in cells) > 20
    assert all(set(text) <= charset for _, text in cells)
    without = [text for _, text in zip(range(300), LineTexts(charset, 7, cell_share=0.0))]
    assert without == [text for _, text in zip(range(300), LineTexts(charset, 7))]


def test_renders_are_at_the_teachers_height_and_reproducible():
    a = [LineRenderer(3).render("NO.12, JALAN MAJU 3,") for _ in range(2)]
    b = LineRenderer(3).render("NO.12, JALAN MAJU 3,")
    assert a[0].shape[0] == TEACHER_HEIGHT and a[0].shape[2] == 3
    assert (a[0] == b).all()


def test_teacher_reads_a_rendered_line_and_its_reading_is_cached(tmp_path, charset):
    from training.data import build_shard, load_shard
    from training.teacher import Teacher

    build_shard(tmp_path, 0, seed=11, charset=charset, teacher=Teacher(), size=12)
    samples = load_shard(tmp_path, 0)
    assert len(samples) == 12
    norm = lambda s: "".join(unicodedata.normalize("NFKC", s).casefold().split())  # noqa: E731
    agree = sum(norm(s.text) == norm(s.teacher) for s in samples)
    assert agree >= 6, [(s.text, s.teacher) for s in samples]
    assert all(s.image().shape[0] == TEACHER_HEIGHT for s in samples)
