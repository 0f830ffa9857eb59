"""Accuracy regression on ../shared/eval, scored by its score.py (the one scoring rule).

Floors sit a little under what the default pack measured (README, "Accuracy"), so a real
regression fails and run-to-run noise does not."""

from tests.conftest import EVAL, eval_records

LINE_EXACT_FLOOR = 0.82  # measured 0.839 (ppocr-v6, int8); the cascade 0.848 by thresholds, 0.843 by its doubt model
LINE_CHAR_F1_FLOOR = 0.97  # measured 0.978
PAGE_CHAR_F1_FLOOR = 0.96  # measured 0.969; the cascade 0.977


def test_line_accuracy_on_the_eval_lines(engine, scorer):
    pairs = [(r["text"], engine.read(EVAL / r["file"], mode="line").text) for r in eval_records("line")]
    result = scorer(pairs)
    assert result["n"] == 223
    assert result["exact"] >= LINE_EXACT_FLOOR, result
    assert result["char_f1"] >= LINE_CHAR_F1_FLOOR, result


def test_auto_mode_reads_the_eval_lines_about_as_well_as_line_mode(engine, scorer):
    pairs = [(r["text"], engine.read(EVAL / r["file"]).text) for r in eval_records("line")]
    assert scorer(pairs)["exact"] >= LINE_EXACT_FLOOR - 0.03


def test_page_accuracy_on_the_eval_pages(engine, scorer):
    pairs = [(r["text"], engine.read(EVAL / r["file"], mode="page").text) for r in eval_records("page")]
    result = scorer(pairs)
    assert result["n"] == 21
    assert result["char_f1"] >= PAGE_CHAR_F1_FLOOR, result
