"""Orientation: pages turned by a quarter or half turn read as upright ones, in order, with
boxes in the turned image's coordinates; a wrong line flip never costs a line."""

import copy

import cv2
import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper

from ocr_engine.classify import OrientationClassifier
from ocr_engine.preprocess import rotate_points
from ocr_engine.runtime import create_session
from tests.conftest import EVAL, SAMPLES, eval_records


@pytest.fixture(scope="module")
def upright_pages(engine):
    return [(r["text"], cv2.imread(str(EVAL / r["file"]))) for r in eval_records("page")]


@pytest.mark.parametrize("turns", [1, 2, 3])
def test_turned_eval_pages_read_within_two_points_of_cer_of_upright(engine, scorer, upright_pages, turns):
    upright = scorer([(text, engine.read(image, mode="page").text) for text, image in upright_pages])
    turned = scorer([(text, engine.read(np.rot90(image, turns).copy(), mode="page").text)
                     for text, image in upright_pages])
    assert turned["cer"] <= upright["cer"] + 0.02, (turns, turned, upright)


@pytest.mark.parametrize("turns", [1, 2, 3])
def test_a_turned_page_has_its_boxes_where_its_lines_are(engine, turns):
    image = cv2.imread(str(SAMPLES / "receipt.png"))
    upright = {line.text: np.float32(line.box) for line in engine.read(image, mode="page").lines}
    turned_image = np.rot90(image, turns).copy()
    turned = engine.read(turned_image, mode="page").lines
    assert [line.text for line in turned] == list(upright)
    for line in turned:
        box = np.float32(line.box)
        assert box[:, 0].max() < turned_image.shape[1] and box[:, 1].max() < turned_image.shape[0]
        expected = rotate_points(upright[line.text], turns, image.shape)
        # the same corners, whichever one is named first
        assert np.abs(np.sort(box, axis=0) - np.sort(expected, axis=0)).max() <= 3, (line.text, box, expected)


def always_upside_down_classifier(path):
    """A real ONNX classifier that is always sure every line is upside down: a wrong one."""
    image = helper.make_tensor_value_info("x", TensorProto.FLOAT, ["n", 3, 48, 192])
    probs = helper.make_tensor_value_info("probs", TensorProto.FLOAT, ["n", 2])
    nodes = [
        helper.make_node("ReduceMean", ["x"], ["mean"], axes=[1, 2, 3], keepdims=0),
        helper.make_node("Unsqueeze", ["mean", "axis"], ["column"]),
        helper.make_node("Mul", ["column", "zero"], ["zeros"]),
        helper.make_node("Add", ["zeros", "certain_turn"], ["probs"]),
    ]
    initializers = [
        helper.make_tensor("axis", TensorProto.INT64, [1], [1]),
        helper.make_tensor("zero", TensorProto.FLOAT, [], [0.0]),
        helper.make_tensor("certain_turn", TensorProto.FLOAT, [1, 2], [0.0, 1.0]),
    ]
    graph = helper.make_graph(nodes, "always_turn", [image], [probs], initializers)
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)]), str(path))
    return path


def test_a_wrong_flip_never_costs_a_line(engine, scorer, tmp_path):
    """With a classifier that turns every line, every line of three characters or more
    that the real one gets right is still right; one or two characters can read as well
    either way up (P and d), which costs at most a point or two of exact matches."""
    wrong = copy.copy(engine)
    wrong.classifier = OrientationClassifier(create_session(always_upside_down_classifier(tmp_path / "cls.onnx"), 1))
    assert wrong.classifier.upside_down([cv2.imread(str(SAMPLES / "line.png"))]).all()
    records = eval_records("line")
    right = [engine.read(EVAL / r["file"], mode="line").text for r in records]
    flipped = [wrong.read(EVAL / r["file"], mode="line").text for r in records]
    labels = [r["text"] for r in records]
    read_right = [i for i, (label, text) in enumerate(zip(labels, right))
                  if len(label) >= 3 and scorer([(label, text)])["exact"] == 1]
    assert len(read_right) > 100
    assert [flipped[i] for i in read_right] == [right[i] for i in read_right]
    assert scorer(list(zip(labels, flipped)))["exact"] >= scorer(list(zip(labels, right)))["exact"] - 0.02


def test_an_upside_down_line_is_read_upright(engine):
    line = cv2.imread(str(SAMPLES / "line.png"))
    expected = engine.read(line, mode="line").text
    assert expected.strip()
    assert engine.read(np.ascontiguousarray(line[::-1, ::-1]), mode="line").text == expected


class CountingClassifier:
    """The real classifier, counting the crops it is shown."""

    def __init__(self, inner: OrientationClassifier):
        self.inner, self.shown = inner, 0

    def upside_down(self, crops):
        self.shown += len(crops)
        return self.inner.upside_down(crops)


@pytest.mark.parametrize("turns", [0, 2])
def test_the_page_vote_classifies_no_line_twice_on_an_upright_page(engine, turns):
    """The lines the way-up vote classified are not classified again when the page is read as
    it is (upright); a page turned upright is detected again, so its lines are new crops."""
    counting = copy.copy(engine)
    counting.classifier = CountingClassifier(engine.classifier)
    image = np.ascontiguousarray(np.rot90(cv2.imread(str(EVAL / "pages/sroie_079.jpg")), turns))
    found = len(engine.detector.detect(image)[0])
    page = counting.read(image, mode="page")
    assert found > 8 and len(page.lines) > 8
    assert page.text == engine.read(image, mode="page").text
    upright_boxes = len(engine.detector.detect(np.ascontiguousarray(np.rot90(image, -turns)))[0])
    assert counting.classifier.shown == (found if turns == 0 else 8 + upright_boxes)
