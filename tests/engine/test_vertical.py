"""Vertical Chinese in the default (auto) mode: columns top to bottom, right to left; a sign
that mixes lines across and columns down reads each its own way, in order. On pages drawn
in the CJK fonts scripts/test installs (tests/engine/rendered_pages.py)."""

import numpy as np
import pytest

from tests.engine.rendered_pages import COLUMNS, mixed_sign, titled_vertical_page, vertical_page


@pytest.mark.parametrize("font_name, size", [("noto-sans", 28), ("noto-serif", 40), ("wqy-microhei", 32),
                                             ("ukai", 40), ("uming", 28)])
def test_a_page_of_vertical_columns_reads_right_to_left_in_auto_mode(engine, scorer, font_name, size):
    image, text = vertical_page(font_name, size)
    result = engine.read(image)  # auto: the API's default and the drop folder's only mode
    assert len(result.lines) >= len(COLUMNS)
    assert scorer([(text, result.text)])["cer"] <= 0.05, result.text


def test_the_columns_come_right_to_left_and_each_reads_top_to_bottom(engine):
    image, _ = vertical_page("wqy-microhei", 36)
    lines = engine.read(image).lines
    assert [line.text for line in lines] == COLUMNS
    centres = [np.mean(np.float32(line.box)[:, 0]) for line in lines]
    assert centres == sorted(centres, reverse=True)


def test_a_single_vertical_column_is_read_as_one_line_top_to_bottom(engine):
    image, _ = vertical_page("noto-sans", 40, columns=[COLUMNS[0]])
    lines = engine.read(image).lines
    assert [line.text for line in lines] == [COLUMNS[0]]


@pytest.mark.parametrize("font_name, size", [("noto-sans", 40), ("noto-serif", 28), ("wqy-microhei", 28),
                                             ("ukai", 40), ("uming", 40)])
def test_a_sign_reads_title_then_columns_right_to_left_then_the_line_below(engine, scorer, font_name, size):
    image, parts = mixed_sign(font_name, size)  # [title, right column, left column, bottom line]
    lines = [line.text for line in engine.read(image).lines]
    # each line belongs to the part it shares most characters with: the parts come in order
    owners = [max(range(len(parts)), key=lambda k: len(set(text) & set(parts[k]))) for text in lines]
    assert owners == sorted(owners) and set(owners) == set(range(len(parts))), lines
    assert scorer([("".join(parts), "".join(lines))])["cer"] <= 0.05, lines


@pytest.mark.parametrize("font_name, size", [("noto-sans", 56), ("noto-serif", 32), ("wqy-microhei", 32),
                                             ("uming", 56)])
def test_a_title_across_a_vertical_page_comes_first_then_the_columns(engine, scorer, font_name, size):
    image, text = titled_vertical_page(font_name, size)
    result = engine.read(image)
    assert result.lines[0].text.startswith("唐诗"), result.text
    assert scorer([(text, result.text)])["cer"] <= 0.05, result.text
