"""Fine-tune the PP-OCRv2 CRNN on rendered lines that the teacher has read.

Loss, per line: CTC on the rendered text (the truth by construction), weighted by what the
teacher read. The teacher's frames (W/8 at height 48, 18708 characters, a transformer's
alignment) cannot be matched frame by frame to the student's (W/4 at height 32, 6625
characters, a BiLSTM's alignment) without resampling CTC spikes that sit at different
places, so the teacher teaches at the sequence level: a line it reads as rendered gets
full weight; a line it reads otherwise is most often one the degradation made illegible
(faded, blurred, cut), and gets less, so the student is not pushed to hallucinate.

What the student already knew from PP-OCRv2's real training data is kept by a second
term: the KL divergence from the original PP-OCRv2's per-frame distribution (same
network, same frames, same charset, computed on the same frozen features) to the
student's, on lines without a comma (where the original has its defect). Without it the
first run lost words the original read (dev exact 0.816 -> 0.776 in 500 steps at lr 5e-4
while the CER held).

Runs on the CPU with one thread by default or on a GPU (`--device cuda`); checkpoints
atomically every few minutes and on SIGTERM (`kill PID` stops it cleanly); `--resume`
continues from the last one."""

from __future__ import annotations

import copy
import json
import math
import os
import random
import signal
import time
from dataclasses import asdict
from pathlib import Path
from typing import Protocol

import cv2
import numpy as np
import torch

from ocr_engine.runtime import release_free_memory

from . import qat

# build_student, widen_head and normalised were defined here before the loop was split from
# its parts; they stay importable from here
from .batches import Encoder, make_batch, normalised  # noqa: F401
from .config import TrainConfig
from .data import SamplePool, complete_shards
from .evaluate import evaluate
from .initial import build_student, initial_student, widen_head  # noqa: F401
from .losses import ctc_loss, keep_loss

CHECKPOINT = "checkpoint.pt"
CURVE = "curve.jsonl"


class Schedule(Protocol):
    """What learning_rate reads of a run's config (TrainConfig, TinyConfig)."""

    lr: float
    warmup_steps: int
    steps: int
    min_lr_ratio: float


def learning_rate(step: int, config: Schedule) -> float:
    if step < config.warmup_steps:
        return config.lr * (step + 1) / config.warmup_steps
    progress = min(1.0, (step - config.warmup_steps) / max(1, config.steps - config.warmup_steps))
    return config.lr * (config.min_lr_ratio + (1 - config.min_lr_ratio) * 0.5 * (1 + math.cos(math.pi * progress)))


def save_checkpoint(path: Path, state: dict) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    torch.save(state, tmp)
    os.replace(tmp, path)


def _start_producer(config: TrainConfig, characters: list[str]):
    import multiprocessing

    context = multiprocessing.get_context("spawn")  # no fork of a process that holds torch threads
    process = context.Process(target=_produce, args=(config.data_dir, config.seed, characters, config.produce_shards),
                              daemon=True, name="training-data-producer")
    process.start()
    return process


def _produce(data_dir: str, seed: int, characters: list[str], shards: int) -> None:
    os.nice(5)  # the trainer comes first when the core is contended
    cv2.setNumThreads(1)
    from .data import produce

    produce(Path(data_dir), seed, set(characters), shards, log=lambda msg: print(msg, flush=True))


def train(config: TrainConfig, resume: bool = False, max_steps: int | None = None, log=print) -> dict:
    """Train until `max_steps` more steps (None: until `config.steps`). Returns the last
    step's summary."""
    torch.set_num_threads(config.threads)
    cv2.setNumThreads(1)
    run_dir = Path(config.run_dir)
    run_dir.mkdir(parents=True, exist_ok=True)
    device = torch.device(config.device)
    torch.manual_seed(config.seed)
    model, encoder = initial_student(config, log)
    reference = None  # the original PP-OCRv2 (or the base checkpoint), for the keep term
    if config.keep_weight > 0:
        reference = copy.deepcopy(model).freeze(config.frozen_blocks).to(device).eval()
        reference.requires_grad_(False)
        qat.set_enabled(reference, False)  # the fp32 readings are what the quantized student keeps
    if config.qat:
        qat.prepare(model, config.qat_float_blocks)
    if config.head_from_scratch:
        torch.nn.init.normal_(model.head.weight, std=0.01)
        torch.nn.init.zeros_(model.head.bias)
    model.freeze(config.frozen_blocks).to(device).train()
    optimizer = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=config.lr,
                                  weight_decay=config.weight_decay)
    step, samples_seen, seconds = 0, 0, 0.0
    rng = random.Random(config.seed)
    checkpoint_path = run_dir / CHECKPOINT
    if resume and checkpoint_path.is_file():
        state = torch.load(checkpoint_path, map_location=device, weights_only=False)
        model.load_state_dict({name: value.float() for name, value in state["model"].items()})
        if "optimizer" in state:  # a slimmed, committed checkpoint has none: the moments start afresh
            optimizer.load_state_dict(state["optimizer"])
        step, samples_seen, seconds = state["step"], state["samples_seen"], state["seconds"]
        rng.setstate(state["rng"])
        torch.set_rng_state(state["torch_rng"])
        log(f"resumed from {checkpoint_path}: step {step}, {samples_seen} samples, {seconds / 3600:.2f} h")
    (run_dir / "config.json").write_text(json.dumps(asdict(config), indent=1) + "\n")

    producer = _start_producer(config, encoder.charset[1:]) if config.produce_shards else None
    pool: SamplePool | RenderedPool
    if config.domain_corpus:
        from .rendered import RenderedPool

        pool = RenderedPool(Path(config.domain_corpus), set(encoder.charset[1:]), seed=rng.getrandbits(32),
                            domain_share=config.domain_share)
    else:
        pool = SamplePool(Path(config.data_dir), seed=rng.getrandbits(32))
    pool.refresh(log=log)
    if qat.needs_calibration(model):
        batches = [make_batch(samples, encoder, rng, config)
                   for samples in pool.batches(config.batch_size, group=config.qat_calibration_batches)]
        images = [batch[0].to(device) for batch in batches if batch]
        qat.calibrate(model, images)
        log(f"qat: activation ranges calibrated on {len(images)} batches")
    curve_path = run_dir / CURVE
    eval_dir = Path(config.eval_dir)
    if step == 0 and eval_dir.is_dir() and not curve_path.exists():
        _record(curve_path, model, encoder, eval_dir, device, step, samples_seen, seconds, None, log)

    last_checkpoint = last_eval = time.time()
    running, last_refresh, last_mean_loss = [], time.time(), None
    queued: list[list] = []  # the pool's batches, taken from the end
    end_step = step + max_steps if max_steps is not None else config.steps
    summary: dict = {}
    stop_requested = []
    previous_handler = signal.signal(signal.SIGTERM, lambda *_: stop_requested.append(True))
    while step < end_step and not stop_requested:
        started = time.time()
        if time.time() - last_refresh > 60:
            pool.refresh(log=log)
            last_refresh = time.time()
        if not queued:
            queued = pool.batches(config.batch_size)
        batch = make_batch(queued.pop(), encoder, rng, config)
        if batch is None:
            continue
        images, frames, targets, target_lengths, weights, keep = batch
        for group in optimizer.param_groups:
            group["lr"] = learning_rate(step, config)
        features = model.frozen_features(images.to(device))
        logits = model.forward_from_frozen(features)
        loss = ctc_loss(logits.float().cpu(), frames, targets, target_lengths, weights)
        if reference is not None:
            with torch.no_grad():
                reference_logits = reference.forward_from_frozen(features)
            loss = loss + config.keep_weight * keep_loss(logits.float().cpu(), reference_logits.float().cpu(),
                                                         frames, keep)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 5.0)
        optimizer.step()
        step += 1
        samples_seen += len(frames)
        seconds += time.time() - started
        running.append(loss.item())
        summary = {"step": step, "loss": loss.item(), "samples": samples_seen}
        if step % config.log_every == 0:
            log(f"step {step} loss {np.mean(running):.4f} lr {learning_rate(step, config):.2e} samples {samples_seen} "
                f"{pool.describe()} train-hours {seconds / 3600:.3f}")
            last_mean_loss = float(np.mean(running))
            running = []
            release_free_memory()  # glibc keeps the freed buffers of each batch shape otherwise (RSS grew 1 GB / 5 min)
        summary["mean_loss"] = last_mean_loss
        now = time.time()
        if now - last_eval > config.eval_minutes * 60 and eval_dir.is_dir():
            _record(curve_path, model, encoder, eval_dir, device, step, samples_seen, seconds,
                    summary.get("mean_loss"), log)
            last_eval = time.time()
        if now - last_checkpoint > config.checkpoint_minutes * 60 or step == end_step or stop_requested:
            save_checkpoint(checkpoint_path, {
                "model": model.state_dict(), "optimizer": optimizer.state_dict(), "step": step,
                "samples_seen": samples_seen, "seconds": seconds, "rng": rng.getstate(),
                "torch_rng": torch.get_rng_state(), "config": asdict(config), "charset": encoder.charset,
            })
            log(f"checkpoint: step {step} -> {checkpoint_path}")
            last_checkpoint = time.time()
    signal.signal(signal.SIGTERM, previous_handler)
    if stop_requested:
        log(f"stopped by SIGTERM at step {step}; continue with --resume")
    if producer is not None:
        producer.terminate()
    return summary


def _record(curve_path: Path, model, encoder: Encoder, eval_dir: Path, device, step: int, samples: int,
            seconds: float, loss, log) -> None:
    started = time.time()
    scores = evaluate(model, encoder.charset, eval_dir, str(device))
    entry = {"step": step, "samples": samples, "train_hours": round(seconds / 3600, 4), "loss": loss,
             "time": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), **scores}
    with open(curve_path, "a", encoding="utf-8") as handle:
        handle.write(json.dumps(entry) + "\n")
    log(f"eval ({time.time() - started:.1f}s): {json.dumps(entry)}")


def data_ready(data_dir: Path) -> int:
    return len(complete_shards(data_dir))
