"""The training loop on a tiny configuration: a few steps on one small shard make the
loss fall, checkpoint atomically, and resume where they stopped."""

import random

import pytest
import torch

from training.export import load_checkpoint
from training.train import TrainConfig, ctc_loss, make_batch, train


@pytest.fixture(scope="module")
def shard_dir(tmp_path_factory, pretrained):
    from training.data import build_shard
    from training.student import pretrained_charset
    from training.teacher import Teacher

    folder = tmp_path_factory.mktemp("shards")
    build_shard(folder, 0, seed=5, charset=set(pretrained_charset(pretrained[1])), teacher=Teacher(), size=16)
    return folder


def _loss_on(model, encoder, samples, config):
    batch = make_batch(samples, encoder, random.Random(0), config)
    images, frames, targets, lengths, weights, _ = batch
    model.eval()
    with torch.no_grad():
        return ctc_loss(model(images), frames, targets, lengths, torch.ones_like(weights)).item()


def test_tiny_run_lowers_the_loss_checkpoints_and_resumes(tmp_path, shard_dir, student):
    from conftest import WHEEL_CACHE

    from training.data import load_shard
    from training.train import build_student

    config = TrainConfig(run_dir=str(tmp_path / "run"), data_dir=str(shard_dir), batch_size=8, lr=2e-3,
                         warmup_steps=1, steps=40, log_every=100, eval_dir=str(tmp_path / "no-eval"),
                         cache_dir=str(WHEEL_CACHE), seed=1, head_from_scratch=True)
    samples = load_shard(shard_dir, 0)
    checkpoint = tmp_path / "run" / "checkpoint.pt"
    _, encoder = student

    def loss_at_checkpoint():
        model, _ = build_student(WHEEL_CACHE)
        load_checkpoint(model, checkpoint)
        return _loss_on(model, encoder, samples, config)

    assert train(config, max_steps=1, log=lambda _: None)["step"] == 1
    before = loss_at_checkpoint()
    assert train(config, resume=True, max_steps=11, log=lambda _: None)["step"] == 12
    after = loss_at_checkpoint()
    assert after < 0.7 * before, (before, after)

    assert train(config, resume=True, max_steps=2, log=lambda _: None)["step"] == 14
    assert torch.load(checkpoint, weights_only=False)["step"] == 14
    assert not list((tmp_path / "run").glob(".*.tmp"))


def test_tiny_quantization_aware_run_lowers_the_loss_and_exports_int8_convolutions(tmp_path, shard_dir, student):
    from conftest import WHEEL_CACHE, onnx_ops

    from training import qat
    from training.data import load_shard
    from training.export import export_checkpoint, model_for

    config = TrainConfig(run_dir=str(tmp_path / "run"), data_dir=str(shard_dir), batch_size=8, lr=2e-3,
                         warmup_steps=1, steps=40, log_every=100, eval_dir=str(tmp_path / "no-eval"),
                         cache_dir=str(WHEEL_CACHE), seed=1, head_from_scratch=True, qat=True,
                         qat_calibration_batches=2)
    samples = load_shard(shard_dir, 0)
    checkpoint = tmp_path / "run" / "checkpoint.pt"
    _, encoder = student

    def loss_at_checkpoint():
        model, _ = model_for(checkpoint)
        load_checkpoint(model, checkpoint)  # puts the fake quantizers back, with their ranges
        assert not qat.needs_calibration(model)
        return _loss_on(model, encoder, samples, config)

    train(config, max_steps=1, log=lambda _: None)
    before = loss_at_checkpoint()
    train(config, resume=True, max_steps=11, log=lambda _: None)
    after = loss_at_checkpoint()
    assert after < 0.7 * before, (before, after)

    exported = export_checkpoint(checkpoint, tmp_path / "rec.onnx", log=lambda _: None)
    ops = onnx_ops(exported)
    assert ops["Conv"] == 31 and ops["QuantizeLinear"] >= 27 and ops["DynamicQuantizeLSTM"] == 2
