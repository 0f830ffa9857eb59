"""training/measure.py's reliability table: the exact rate of lines by the confidence given."""

from tests.conftest import EVAL
from training.evaluate import _score_module
from training.measure import cascade, reliability


def test_lines_are_binned_by_confidence_and_scored_by_the_eval_rule():
    score = _score_module(EVAL).score
    pairs = [("TOTAL 12", "TOTAL 12"), ("TOTAL 12", "T0TAL 12"), ("发票", "发票"), ("发票", "发"), ("RM 5", "RM5")]

    rows = reliability(score, pairs, [0.99, 0.3, 0.96, 0.6, 0.85])

    assert rows == [{"confidence": "0.00-0.50", "lines": 1, "exact": 0.0},
                    {"confidence": "0.50-0.70", "lines": 1, "exact": 0.0},
                    {"confidence": "0.80-0.90", "lines": 1, "exact": 1.0},  # the rule ignores spaces
                    {"confidence": "0.95-1.00", "lines": 2, "exact": 1.0}]


def test_a_cascade_rereads_the_lines_under_its_threshold_and_scores_the_mix():
    score = _score_module(EVAL).score
    truths = ["TOTAL 12", "发票", "RM 5", "合计"]
    first = [("TOTAL 12", 0.99), ("发", 0.85), ("RM 5", 0.93), ("合", 0.6)]
    second = ["T0TAL 12", "发票", "RN 5", "合计"]

    rows = {row["threshold"]: row for row in cascade(score, truths, first, second)}

    assert rows[0.5] == {"threshold": 0.5, "reread": 0.0, "exact": 0.5}
    assert rows[0.8] == {"threshold": 0.8, "reread": 0.25, "exact": 0.75}
    assert rows[0.9] == {"threshold": 0.9, "reread": 0.5, "exact": 1.0}
    assert rows[0.95] == {"threshold": 0.95, "reread": 0.75, "exact": 0.75}  # "RM 5" re-read wrong
