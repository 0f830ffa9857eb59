"""INT8 convolutions for the student without training (training/quantize_convs.py): which
convolutions stay float, and what the quantized student reads."""

from collections import Counter

import pytest

from conftest import REPO

onnx = pytest.importorskip("onnx")

STUDENT = REPO / "training" / "models" / "crnn-v6t.onnx"
COMMITTED = REPO / "training" / "models" / "crnn-v6t-convs.onnx"
TEXTS = ("TOTAL RM 12.50", "发票代码 044031900111", "NO.89&91, JALAN UTAMA,", "全场包邮 限时抢购",
         "Tel: 03-8961 2345", "合计金额（大写）", "GST ID NO: 000306020352", "2012女装部分款")


def _conv_rows(model, width: int = 320) -> dict[str, int]:
    """Each Conv node's output height for a 48 x `width` input, by ONNX shape inference."""
    from onnx import shape_inference

    model = onnx.ModelProto.FromString(model.SerializeToString())
    dims = model.graph.input[0].type.tensor_type.shape.dim
    dims[0].dim_value, dims[2].dim_value, dims[3].dim_value = 1, 48, width
    inferred = shape_inference.infer_shapes(model)
    shapes = {v.name: [d.dim_value for d in v.type.tensor_type.shape.dim] for v in inferred.graph.value_info}
    return {n.name: shapes[n.output[0]][2] for n in model.graph.node if n.op_type == "Conv"}


def _int8_convolutions(model) -> set[str]:
    """Conv nodes whose weight is dequantized from INT8 (QDQ)."""
    producers = {out: node for node in model.graph.node for out in node.output}
    return {n.name for n in model.graph.node if n.op_type == "Conv"
            and getattr(producers.get(n.input[1]), "op_type", None) == "DequantizeLinear"}


def test_float_are_the_first_thirteen_and_every_one_on_a_single_row():
    """What the rule keeps, seen through the shapes instead of the graph's wiring: the
    squeeze-excite convolutions (a pooled 1 x 1 map) and the neck's (one row after the pool)
    are exactly those with a one-row output; with the first 13 they are all the float ones."""
    from training.quantize_convs import float_convolutions

    model = onnx.load(str(STUDENT))
    rows = _conv_rows(model)
    order = list(rows)
    one_row = {name for name, height in rows.items() if height == 1}
    assert len(one_row) == 8  # three squeeze-excite pairs, the neck's two
    assert set(float_convolutions(model)) == set(order[:13]) | one_row
    assert set(float_convolutions(model, first=0)) == one_row


@pytest.fixture(scope="module")
def lines():
    from training.render import LineRenderer

    renderer = LineRenderer(seed=7)
    return [renderer.render(text) for text in TEXTS]


def _readings(path, images) -> list[str]:
    """What the recogniser in `path` reads, with its charset as a trained pack lays it out."""
    from ocr_engine.recognize import TextRecognizer
    from ocr_engine.runtime import create_session

    meta = {p.key: p.value for p in onnx.load(str(path), load_external_data=False).metadata_props}
    charset = ["<blank>", *meta["character"].split("\n"), " "]
    return [text for text, _ in TextRecognizer(create_session(path, 1), charset).recognize(images)]


def test_quantized_student_runs_its_other_convolutions_in_int8_and_reads_as_the_float_one(lines, tmp_path,
                                                                                           monkeypatch):
    from pathlib import Path

    from training.quantize_convs import float_convolutions, quantize_recogniser

    monkeypatch.chdir(tmp_path)  # a target relative to where the command runs (the calibrator changes folder)
    kept = quantize_recogniser(STUDENT, Path("student-convs.onnx"), lines)
    target = tmp_path / "student-convs.onnx"
    quantized = onnx.load(str(target))
    convolutions = {n.name for n in quantized.graph.node if n.op_type == "Conv"}
    assert kept == float_convolutions(onnx.load(str(STUDENT)))
    assert _int8_convolutions(quantized) == convolutions - set(kept)
    assert len(convolutions - set(kept)) == 18
    ops = Counter(n.op_type for n in quantized.graph.node)
    assert ops["DynamicQuantizeLSTM"] == 2  # the LSTM and MatMuls keep their dynamic INT8
    meta = {p.key: p.value for p in quantized.metadata_props}
    assert meta["character"] == {p.key: p.value for p in onnx.load(str(STUDENT)).metadata_props}["character"]
    float_texts, int8_texts = _readings(STUDENT, lines), _readings(target, lines)
    assert sum(f == q for f, q in zip(float_texts, int8_texts)) >= len(lines) - 1
    # the renders are degraded at random, some past reading: the agreement must be on lines read
    assert sum(f.replace(" ", "") == t.replace(" ", "") for f, t in zip(float_texts, TEXTS)) >= len(TEXTS) // 2


def test_the_committed_quantized_student_is_the_rule_applied_to_the_committed_student(lines):
    from training.quantize_convs import float_convolutions

    committed = onnx.load(str(COMMITTED))
    convolutions = {n.name for n in committed.graph.node if n.op_type == "Conv"}
    assert _int8_convolutions(committed) == convolutions - set(float_convolutions(onnx.load(str(STUDENT))))
    float_texts, int8_texts = _readings(STUDENT, lines), _readings(COMMITTED, lines)
    assert sum(f == q for f, q in zip(float_texts, int8_texts)) >= len(lines) - 1

