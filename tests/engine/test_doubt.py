"""A cascade's learnt doubt (ocr_engine.doubt): the features worked out by hand from a
reading's frames, the model's decision, its manifest form, and the runner-up probabilities
the real recogniser gives."""

import math

import numpy as np
import pytest

from ocr_engine.ctc import best_path, runner_up
from ocr_engine.doubt import FEATURES, DoubtModel, Frames, line_features
from ocr_engine.recognize import Reading, RereadRule


def _logit(p: float) -> float:
    return math.log(p / (1 - p))


def _reading(classes, best, second, second_classes) -> Reading:
    frames = Frames(np.array(classes), np.array(best), np.array(second), np.array(second_classes))
    return Reading("ab", frames.confidence, 0.0, ["a", "b"], np.zeros((2, 3)), float(min(best)), frames)


# blank, "a" over two frames (emitted once), blank, "b"; every runner-up but the last merely
# moves an edge of a character's run (a blank before "a" would be "a"), the last drops "b"
READING = _reading([0, 5, 5, 0, 7], [0.9, 0.8, 0.7, 0.95, 0.6], [0.05, 0.1, 0.15, 0.03, 0.3], [5, 0, 0, 7, 0])


def test_features_are_read_off_the_frames():
    features = dict(zip(FEATURES, line_features(READING.frames, tuple(FEATURES))))

    # emitted: frames 1 ("a", 0.8) and 4 ("b", 0.6); margins 0.85 0.7 0.55 0.92 0.3
    assert features["confidence"] == pytest.approx(_logit(0.7)) and READING.frames.confidence == pytest.approx(0.7)
    assert features["weakest_frame"] == pytest.approx(_logit(0.6))
    assert features["weakest_character"] == pytest.approx(_logit(0.6))
    assert features["weakest_blank"] == pytest.approx(_logit(0.9))
    assert features["narrowest_margin"] == pytest.approx(_logit(0.3))
    assert features["narrowest_character_margin"] == pytest.approx(_logit(0.3))
    assert features["strongest_runner_up"] == pytest.approx(_logit(0.3))
    assert features["runner_up_sum"] == pytest.approx(0.63)
    assert features["narrow_margins"] == pytest.approx(math.log(2))  # only 0.3 is under 0.5
    assert features["characters_log_probability"] == pytest.approx(math.log(0.8) + math.log(0.6))
    assert features["characters"] == pytest.approx(math.log(3))
    assert features["doubt_sum"] == pytest.approx(1.05)
    assert features["narrowest_text_margin"] == pytest.approx(_logit(0.3))
    assert features["close_text_flips"] == pytest.approx(math.log(2))


def test_a_close_call_changes_the_text_only_where_the_runner_up_would_add_drop_or_swap_a_character():
    frames = Frames(np.array([5, 0, 6, 6, 0, 0, 8]), np.full(7, 0.5), np.full(7, 0.4),
                    # 9 for the 5 swaps it, a 7 in the gap adds one; the 6's own class, a blank at
                    # the end of the 6's run, a blank for a blank and an 8 just before the 8 change
                    # nothing; a blank for the last 8 drops it
                    np.array([9, 7, 6, 0, 0, 8, 0]))

    assert frames.text_flips.tolist() == [True, True, False, False, False, False, True]


def test_an_empty_reading_has_features_too():
    empty = _reading([0, 0, 0], [0.99, 0.98, 0.97], [0.01, 0.02, 0.03], [3, 3, 4])

    features = dict(zip(FEATURES, line_features(empty.frames, tuple(FEATURES))))

    assert features["characters"] == 0 and features["characters_log_probability"] == 0
    assert features["weakest_character"] < -9  # no character: as unsure as can be
    assert all(math.isfinite(value) for value in features.values())


def test_the_model_doubts_where_its_log_odds_reach_the_threshold():
    model = DoubtModel(("confidence", "runner_up_sum"), (-2.0, 1.0), 0.5, threshold=-1.0)

    expected = 0.5 - 2 * _logit(0.7) + 0.63  # -0.56
    assert model.log_odds(READING.frames) == pytest.approx(expected)
    assert model.doubts(READING.frames)
    assert not DoubtModel(model.features, model.weights, model.bias, threshold=0.0).doubts(READING.frames)
    # in a rule, the model decides: the thresholds would doubt this reading, the model does not
    rule = RereadRule(confidence=0.93, weakest_frame=0.55, model=DoubtModel(model.features, model.weights, -5.0, 0.0))
    assert not rule.doubts(READING)
    assert RereadRule(confidence=0.93, weakest_frame=0.55).doubts(READING)


def test_the_manifest_form_round_trips_and_names_only_known_features():
    model = DoubtModel(("confidence", "doubt_sum"), (-0.7, 3.4), -0.8, -1.4)

    assert DoubtModel.from_manifest(model.to_manifest()) == model
    with pytest.raises(ValueError, match="unknown doubt features: sharpness"):
        DoubtModel.from_manifest({"weights": {"sharpness": 1.0}, "bias": 0.0, "doubt_at_log_odds": 0.0})


def test_a_reading_without_frames_cannot_be_weighed():
    bare = Reading("ab", 0.7, 0.0, ["a", "b"], np.zeros((2, 3)))
    rule = RereadRule(0.93, model=DoubtModel(("confidence",), (-1.0,), 0.0, 0.0))

    with pytest.raises(ValueError, match="frames"):
        rule.doubts(bare)


def test_the_runner_up_is_the_second_best_class_of_each_frame():
    probs = np.array([[[0.1, 0.7, 0.2], [0.5, 0.1, 0.4], [0.3, 0.25, 0.45]]])
    classes, scores = best_path(probs)

    second_classes, second = runner_up(probs.copy(), classes)

    assert second_classes.tolist() == [[2, 2, 0]]
    assert second.tolist() == [[0.2, 0.4, 0.3]]
    assert scores.tolist() == [[0.7, 0.5, 0.45]]
