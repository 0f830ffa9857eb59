"""training/doubt.py: the logistic fit and where the doubt model is set to doubt, worked by hand."""

import numpy as np
import pytest

from training.doubt import fewest_rereads, fit_logistic


def test_the_fit_recovers_a_known_model_on_the_raw_features():
    rng = np.random.default_rng(0)
    features = np.stack([rng.normal(2.0, 1.0, 20_000), rng.normal(-5.0, 10.0, 20_000)], axis=1)
    log_odds = 0.5 + 1.5 * features[:, 0] - 0.2 * features[:, 1]
    wrong = (rng.random(20_000) < 1 / (1 + np.exp(-log_odds))).astype(float)

    weights, bias = fit_logistic(features, wrong)

    assert weights == pytest.approx([1.5, -0.2], rel=0.1)
    assert bias == pytest.approx(0.5, abs=0.2)


def test_the_threshold_is_where_the_cascade_stays_as_exact_not_where_it_first_touches():
    log_odds = np.array([6.0, 5.0, 4.0, 3.0, 2.0, 1.0])
    first = np.array([0, 1, 0, 1, 1, 0], bool)
    fallback = np.array([1, 0, 1, 1, 1, 0], bool)
    baseline = np.array([1, 1, 1, 1, 0, 0], bool)  # its cascade reads 4 of 6
    # re-reading the top 1: 4 (touches), top 2: 3 (below), top 3 and 4: 4 again
    assert fewest_rereads(log_odds, first, fallback, baseline, np.zeros(6)) == 4.0


def test_no_kind_of_text_pays_for_another_s_gain():
    log_odds = np.array([4.0, 3.0, 2.0, 1.0])
    groups = np.array(["a", "b", "a", "a"])
    first = np.array([0, 0, 0, 1], bool)
    fallback = np.array([1, 1, 1, 1], bool)
    baseline = np.array([1, 0, 1, 0], bool)  # reads 3 of 4, missing the "b" line
    # the top 2 re-read: 3 of 4 as well, but "a" falls from 3 of 3 to 2 of 3 (a third, more
    # than its standard error, 0.27); the top 3 re-read: every line
    assert fewest_rereads(log_odds, first, fallback, baseline, groups) == 2.0
    assert fewest_rereads(log_odds, first, fallback, baseline, np.zeros(4)) == 3.0


def test_a_doubt_no_threshold_can_match_is_an_error():
    with pytest.raises(ValueError, match="no threshold"):
        fewest_rereads(np.array([2.0, 1.0]), np.array([1, 0], bool), np.array([0, 0], bool),
                       np.array([0, 0], bool), np.zeros(2))


def test_pages_must_read_as_well_in_every_folder_by_both_measures():
    from training.doubt_pages import at_least_as_good

    baseline = {"pages": {"char_f1": 0.997, "page_exact": 0.33}, "web": {"char_f1": 0.986, "page_exact": 0.69}}

    assert at_least_as_good({"pages": {"char_f1": 0.997, "page_exact": 0.35},
                             "web": {"char_f1": 0.99, "page_exact": 0.69}}, baseline)
    assert not at_least_as_good({"pages": {"char_f1": 0.998, "page_exact": 0.32},
                                 "web": {"char_f1": 0.99, "page_exact": 0.7}}, baseline)
    assert not at_least_as_good({"pages": {"char_f1": 0.998, "page_exact": 0.4},
                                 "web": {"char_f1": 0.985, "page_exact": 0.7}}, baseline)


def test_a_doubt_model_is_fitted_against_a_threshold_rule_not_another_model():
    from ocr_build.trained_pack import build_trained_pack
    from training.doubt import fit_doubt

    with pytest.raises(ValueError, match="threshold rule"):
        fit_doubt(build_trained_pack("crnn-v6t-cascade", log=lambda _: None), [], 1)
