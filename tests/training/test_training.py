"""The training loop on a tiny configuration: a few steps on one small shard make the
loss fall, checkpoint atomically, and resume where they stopped."""

import random
from pathlib import Path

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


def _tiny_config(tmp_path, shard_dir, **overrides) -> TrainConfig:
    from conftest import WHEEL_CACHE

    return TrainConfig(run_dir=str(tmp_path / "run"), data_dir=str(shard_dir), batch_size=8, lr=2e-3,
                       warmup_steps=1, steps=40, log_every=100, eval_dir=str(tmp_path / "no-eval"),
                       cache_dir=str(WHEEL_CACHE), seed=1, head_from_scratch=True, **overrides)


def _loss_at_checkpoint(config: TrainConfig, encoder, shard_dir):
    """The loss on the shard of the model the run's checkpoint holds (its fake quantizers,
    with their ranges, put back when it has them)."""
    from training.data import load_shard
    from training.export import model_for

    checkpoint = Path(config.run_dir) / "checkpoint.pt"
    model, _ = model_for(checkpoint)
    load_checkpoint(model, checkpoint)
    return model, _loss_on(model, encoder, load_shard(shard_dir, 0), config)


def test_tiny_run_lowers_the_loss_checkpoints_and_resumes(tmp_path, shard_dir, student):
    config = _tiny_config(tmp_path, shard_dir)
    _, encoder = student

    assert train(config, max_steps=1, log=lambda _: None)["step"] == 1
    _, before = _loss_at_checkpoint(config, encoder, shard_dir)
    assert train(config, resume=True, max_steps=11, log=lambda _: None)["step"] == 12
    _, after = _loss_at_checkpoint(config, encoder, shard_dir)
    assert after < 0.7 * before, (before, after)

    assert train(config, resume=True, max_steps=2, log=lambda _: None)["step"] == 14
    checkpoint = tmp_path / "run" / "checkpoint.pt"
    assert torch.load(checkpoint, weights_only=False)["step"] == 14
    assert not list((tmp_path / "run").glob(".*.tmp"))


def test_tiny_quantization_aware_run_lowers_the_loss_and_exports_int8_convolutions(tmp_path, shard_dir, student):
    from training import qat
    from training.export import export_checkpoint

    from conftest import onnx_ops

    config = _tiny_config(tmp_path, shard_dir, qat=True, qat_calibration_batches=2)
    _, encoder = student

    train(config, max_steps=1, log=lambda _: None)
    model, before = _loss_at_checkpoint(config, encoder, shard_dir)
    assert not qat.needs_calibration(model)
    train(config, resume=True, max_steps=11, log=lambda _: None)
    model, after = _loss_at_checkpoint(config, encoder, shard_dir)
    assert not qat.needs_calibration(model)
    assert after < 0.7 * before, (before, after)

    exported = export_checkpoint(tmp_path / "run" / "checkpoint.pt", tmp_path / "rec.onnx", log=lambda _: None)
    ops = onnx_ops(exported)
    assert ops["Conv"] == 31 and ops["QuantizeLinear"] >= 27 and ops["DynamicQuantizeLSTM"] == 2
