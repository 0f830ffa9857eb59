import numpy as np

from ocr_engine.ctc import best_path, collapse

CHARSET = ["<blank>", "a", "b", " "]


def frames(*classes, p=0.9):
    probs = np.full((1, len(classes), len(CHARSET)), (1 - p) / (len(CHARSET) - 1), np.float32)
    probs[0, np.arange(len(classes)), classes] = p
    return best_path(probs)


def test_repeats_merge_and_blanks_separate_repeated_characters():
    classes, scores = frames(1, 1, 0, 1, 2, 2, 0, 0, 3, 2)
    assert collapse(classes[0], scores[0], CHARSET) == ("aab b", np.float32(0.9).item())


def test_all_blank_is_empty_with_zero_confidence():
    classes, scores = frames(0, 0, 0)
    assert collapse(classes[0], scores[0], CHARSET) == ("", 0.0)


def test_confidence_is_the_mean_over_emitted_characters():
    probs = np.array([[[0.1, 0.8, 0.05, 0.05], [0.1, 0.6, 0.2, 0.1], [0.9, 0.05, 0.03, 0.02], [0.1, 0.1, 0.7, 0.1]]],
                     np.float32)
    classes, scores = best_path(probs)
    text, confidence = collapse(classes[0], scores[0], CHARSET)
    assert text == "ab" and abs(confidence - (0.8 + 0.7) / 2) < 1e-6
