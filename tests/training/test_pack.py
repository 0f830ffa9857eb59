"""The crnn-zh-v1 pack: the committed trained ONNX (LSTM ops, INT8 nodes) with the
default pack's detector and classifier, read by the engine at height 32, stride 4."""

import pytest

from conftest import REPO, left_of_comma_lost, onnx_ops

COMMITTED_MODEL = REPO / "training" / "models" / "crnn-zh-v1.onnx"
COMMITTED_QAT_MODEL = REPO / "training" / "models" / "crnn-zh-v1-qat.onnx"


@pytest.mark.parametrize("model", [COMMITTED_MODEL, COMMITTED_QAT_MODEL], ids=lambda path: path.stem)
def test_committed_model_has_lstm_ops_and_int8_nodes(model):
    ops = onnx_ops(model)
    assert ops["DynamicQuantizeLSTM"] == 2 and ops["MatMulInteger"] >= 1
    assert model.stat().st_size <= 20_000_000


def test_quantization_aware_model_runs_most_convolutions_in_int8(tmp_path):
    """training/qat.py: the convolutions after the front blocks take INT8 weights, and
    ONNX Runtime fuses them into QLinearConv."""
    import onnx
    import onnxruntime as ort
    from onnx import TensorProto

    model = onnx.load(str(COMMITTED_QAT_MODEL))
    producers = {output: node for node in model.graph.node for output in node.output}
    int8_weights = {init.name for init in model.graph.initializer if init.data_type == TensorProto.INT8}
    convs = [node for node in model.graph.node if node.op_type == "Conv"]
    int8_convs = [node for node in convs if node.input[1] in producers
                  and producers[node.input[1]].op_type == "DequantizeLinear"
                  and producers[node.input[1]].input[0] in int8_weights]
    assert len(int8_convs) >= len(convs) // 2
    options = ort.SessionOptions()
    options.optimized_model_filepath = str(tmp_path / "optimised.onnx")
    ort.InferenceSession(str(COMMITTED_QAT_MODEL), options, providers=["CPUExecutionProvider"])
    assert onnx_ops(tmp_path / "optimised.onnx")["QLinearConv"] == len(int8_convs)


def test_pack_manifest_gives_the_recogniser_geometry(trained_pack):
    rec = trained_pack.manifest["models"]["rec"]
    assert rec["input"]["height"] == 32 and rec["input"]["stride"] == 4 and rec["input"]["min_width"] > 0
    assert set(trained_pack.manifest["files"]) == {"det.onnx", "cls.onnx", "rec.onnx", "charset.txt"}
    assert len(trained_pack.charset) == 6625


@pytest.mark.parametrize("pack_fixture", ["trained_pack", "qat_pack"])
def test_engine_reads_the_samples_with_the_trained_pack(pack_fixture, request):
    from ocr_engine.engine import OcrEngine
    from ocr_engine.settings import Settings

    engine = OcrEngine(pack=request.getfixturevalue(pack_fixture), settings=Settings.from_env(threads=1))
    assert (engine.recognizer.params.height, engine.recognizer.params.stride) == (32, 4)
    line = engine.read(str(REPO / "samples" / "line.png"), mode="line").text
    assert "".join(line.split()) == "光学字符识别OCR2026"  # spacing aside, as the eval scores it
    receipt = engine.read(str(REPO / "samples" / "receipt.png"), mode="page").text
    assert "19.80" in receipt and "Total" in receipt


def _lost_comma_lines(comma_lines, trained_pack):
    from ocr_engine.engine import OcrEngine
    from ocr_engine.settings import Settings

    engine = OcrEngine(pack=trained_pack, settings=Settings.from_env(threads=1))
    reads = [t for t, _ in engine.recognizer.recognize([image for image, _ in comma_lines])]
    return [(truth, read) for (_, truth), read in zip(comma_lines, reads) if left_of_comma_lost(truth, read)]


@pytest.mark.parametrize("pack_fixture", ["trained_pack", "qat_pack"])
def test_trained_pack_loses_far_fewer_comma_lines_than_the_shipped_weights(comma_lines, pack_fixture, request):
    # the shipped v2 loses at least half of them (test_export.py); crnn-zh-v1 (run crnn-v4,
    # training/MANIFEST) loses 3 of 11, crnn-zh-v1-qat 2, all in condensed receipt fonts
    assert len(_lost_comma_lines(comma_lines, request.getfixturevalue(pack_fixture))) <= 3


@pytest.mark.xfail(strict=True, reason="3 of the 11 dev comma lines (condensed receipt fonts) are still lost by the "
                   "committed model (run crnn-v4, training/MANIFEST). "
                   "strict: a model that passes must drop this marker")
def test_trained_pack_keeps_text_left_of_commas(comma_lines, trained_pack):
    assert not _lost_comma_lines(comma_lines, trained_pack)
