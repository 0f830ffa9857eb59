"""training/measure.py's reliability table: the exact rate of lines by the confidence given."""

import numpy as np

from ocr_engine.recognize import Reading
from tests.conftest import EVAL
from training.evaluate import _score_module
from training.measure import cascade, exact_by_line, paired, reliability


def test_lines_are_binned_by_confidence_and_scored_by_the_eval_rule():
    score = _score_module(EVAL).score
    pairs = [("TOTAL 12", "TOTAL 12"), ("TOTAL 12", "T0TAL 12"), ("发票", "发票"), ("发票", "发"), ("RM 5", "RM5")]

    rows = reliability(score, pairs, [0.99, 0.3, 0.96, 0.6, 0.85])

    assert rows == [{"confidence": "0.00-0.50", "lines": 1, "exact": 0.0},
                    {"confidence": "0.50-0.70", "lines": 1, "exact": 0.0},
                    {"confidence": "0.80-0.90", "lines": 1, "exact": 1.0},  # the rule ignores spaces
                    {"confidence": "0.95-1.00", "lines": 2, "exact": 1.0}]


def _reading(text: str, confidence: float, weakest: float = 1.0) -> Reading:
    return Reading(text, confidence, 0.0, list(text), np.zeros((len(text), 3)), weakest)


def test_a_cascade_rereads_the_lines_its_rule_doubts_and_scores_the_mix():
    score = _score_module(EVAL).score
    truths = ["TOTAL 12", "发票", "RM 5", "合计", "8元/"]
    # the last: every character sure, a frame between "元" and "/" torn (a dropped character)
    first = [_reading("TOTAL 12", 0.99), _reading("发", 0.85), _reading("RM 5", 0.93), _reading("合", 0.6),
             _reading("8元", 0.99, weakest=0.45)]
    second = ["T0TAL 12", "发票", "RN 5", "合计", "8元/"]

    rows = {(row["confidence_below"], row["weakest_frame_below"]): row for row in cascade(score, truths, first, second)}

    assert rows[(0.5, 0.0)] == {"confidence_below": 0.5, "weakest_frame_below": 0.0, "reread": 0.0, "exact": 0.4}
    assert rows[(0.8, 0.0)]["reread"] == 0.2 and rows[(0.8, 0.0)]["exact"] == 0.6
    assert rows[(0.9, 0.0)]["reread"] == 0.4 and rows[(0.9, 0.0)]["exact"] == 0.8
    assert rows[(0.9, 0.5)]["reread"] == 0.6 and rows[(0.9, 0.5)]["exact"] == 1.0  # the torn frame re-read
    assert rows[(0.9, 0.4)]["exact"] == 0.8  # ...not under 0.4
    assert rows[(0.95, 0.0)]["reread"] == 0.6 and rows[(0.95, 0.0)]["exact"] == 0.6  # "RM 5" re-read wrong


def test_a_second_look_keeps_the_doubted_readings_it_confirms():
    score = _score_module(EVAL).score
    truths = ["发票", "RM 5", "合计"]
    first = [_reading("发票", 0.9), _reading("RN 5", 0.9), _reading("合计", 0.8, weakest=0.2)]
    second = ["发", "RM 5", "合计"]  # the fallback misses a character of the first line
    # the first reader's second look: it reads the first and last lines the same, the second not
    again = [_reading("发票", 0.92), _reading("RM 5", 0.95), _reading("合计", 0.9, weakest=0.25)]

    def rule(row: dict) -> tuple:
        look = row.get("second_look", {})
        return (row["confidence_below"], row["weakest_frame_below"],
                *(look.get(key, 0.0) for key in ("shift_frames", "confidence_below", "weakest_frame_below")))

    rows = {rule(row): row for row in cascade(score, truths, first, second, {0.5: again, 0.75: again})}

    assert rows[(0.93, 0.55, 0.0, 0.0, 0.0)]["reread"] == 1.0  # every line doubted, "发" kept
    assert rows[(0.93, 0.55, 0.0, 0.0, 0.0)]["exact"] == round(2 / 3, 4)
    confirmed = rows[(0.93, 0.55, 0.5, 0.0, 0.0)]
    assert confirmed["second_look"]["looked"] == 1.0
    assert confirmed["reread"] == round(1 / 3, 4) and confirmed["exact"] == 1.0
    assert rows[(0.93, 0.55, 0.5, 0.0, 0.3)]["reread"] == round(2 / 3, 4)  # the torn frame under the floor
    assert rows[(0.93, 0.55, 0.5, 0.9, 0.0)]["reread"] == round(2 / 3, 4)  # 0.8 under the floor
    assert all("second_look" not in row for row in cascade(score, truths, first, second))


def test_two_readers_are_compared_line_by_line():
    score = _score_module(EVAL).score
    truths = ["TOTAL 12", "发票", "RM 5", "合计", "8元/"]
    candidate = ["TOTAL 12", "发票", "RM5", "合", "8元"]  # "RM5": the rule ignores spaces
    baseline = ["T0TAL 12", "发票", "RM 5", "合计", "8元"]

    row = paired(exact_by_line(score, truths, candidate), exact_by_line(score, truths, baseline))

    # both right on 2 lines, only the candidate on 1, only the baseline on 1, neither on 1
    assert row["lines"] == 5 and row["exact"] == 0.6 and row["baseline_exact"] == 0.6
    assert row["only_candidate"] == 1 and row["only_baseline"] == 1 and row["difference"] == 0.0
    # the differences per line (+1, -1, 0, 0, 0) have a variance of 2/5 a line: sqrt(2)/5 over the set
    assert row["standard_error"] == round(2 ** 0.5 / 5, 4)
    assert paired(*[exact_by_line(score, truths, truths)] * 2)["standard_error"] == 0.0


def test_a_better_candidate_shows_a_positive_difference():
    score = _score_module(EVAL).score
    truths = ["发票", "合计", "RM 5", "TOTAL"]

    row = paired(exact_by_line(score, truths, truths), exact_by_line(score, truths, ["发", "合计", "RN 5", "TOTAL"]))

    assert row["only_candidate"] == 2 and row["only_baseline"] == 0 and row["difference"] == 0.5
