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
import unicodedata
from dataclasses import asdict, dataclass, field
from pathlib import Path

import cv2
import numpy as np
import torch

from ocr_engine.runtime import release_free_memory

from . import qat
from .data import SamplePool, complete_shards
from .evaluate import DEFAULT_EVAL_DIR, evaluate
from .student import CRNN, INPUT_HEIGHT, STRIDE, extract_pretrained, load_onnx_weights, pretrained_charset

CHECKPOINT = "checkpoint.pt"
WIDTH_STEP = 32
CURVE = "curve.jsonl"


@dataclass
class TrainConfig:
    run_dir: str
    data_dir: str
    seed: int = 20261126
    batch_size: int = 32
    lr: float = 2e-4
    weight_decay: float = 1e-2
    warmup_steps: int = 100
    steps: int = 100_000  # the cosine schedule's length; the run may be stopped any time before
    min_lr_ratio: float = 0.05
    max_width: int = 960  # px at height 32; wider lines are skipped
    # The stem and the first 11 of 13 backbone blocks stay as PP-OCRv2 trained them on real
    # images: on one CPU thread their backward would take half of every step, and the
    # comma defect lives in the BiLSTM (the backward direction), which is trained.
    frozen_blocks: int = 11
    # start the CTC head from scratch instead of PP-OCRv2's (a quick, visible fall of the
    # loss for the tests; a start for a new charset)
    head_from_scratch: bool = False
    keep_weight: float = 0.5  # the KL term toward the original PP-OCRv2 (module docstring)
    condense_share: float = 0.0  # of the lines squeezed narrower than rendered (_student_input)
    # quantization-aware training (training/qat.py): the convolutions learn the INT8 rounding
    # the export will give them; their ranges start from this many batches
    qat: bool = False
    qat_calibration_batches: int = 8
    # the stem and the first N blocks stay fp32 (0: none): the layers post-training INT8
    # hurts most, at the highest resolution, where INT8 with its requantized hard-swish
    # was no faster (bench/results/2026-11-27-crnn-qat.md)
    qat_float_blocks: int = 0
    checkpoint_minutes: float = 5.0
    eval_minutes: float = 5.0
    log_every: int = 25
    device: str = "cpu"
    threads: int = 1
    produce_shards: int = 0  # >0: a background producer renders and labels shards up to this count
    eval_dir: str = str(DEFAULT_EVAL_DIR)
    cache_dir: str = "build/wheels"
    # weights of a line's CTC loss by what the teacher read (see the module docstring)
    weight_teacher_agrees: float = 1.0
    weight_teacher_differs: float = 0.4
    # A user's own domain (training/domain.py): start from a trained checkpoint instead of
    # PP-OCRv2's weights, add characters to the charset, and render lines of a corpus as
    # they are needed (no teacher: it does not know the added characters)
    base_checkpoint: str | None = None
    added_characters: str = ""
    domain_corpus: str | None = None
    domain_share: float = 0.5  # of the rendered lines; the rest come from the general generators
    extra: dict = field(default_factory=dict)


def normalised(text: str) -> str:
    return "".join(unicodedata.normalize("NFKC", text).casefold().split())


class Encoder:
    """Text <-> class ids: blank 0, then the characters of the charset."""

    def __init__(self, characters: list[str]):
        self.charset = ["<blank>"] + characters
        self.index = {ch: i for i, ch in enumerate(self.charset) if i}

    def encode(self, text: str) -> list[int]:
        return [self.index[ch] for ch in text if ch in self.index]


def _student_input(image: np.ndarray, rng: random.Random, max_width: int, condense_share: float = 0.0) -> np.ndarray | None:
    """Height 32 (from the stored 48), with the aspect ratio jittered ±10 %: detectors'
    crops and fonts vary in width; `condense_share` of the lines squeezed to 55-90 % of
    their width, as receipt printers' condensed fonts are (the shipped weights drop what is
    left of a comma in such lines: dev lines read in full once stretched 1.7x)."""
    height, width = image.shape[:2]
    squeeze = rng.uniform(0.55, 0.9) if rng.random() < condense_share else rng.uniform(0.9, 1.1)
    new_width = max(STRIDE * 2, int(round(width * INPUT_HEIGHT / height * squeeze)))
    if new_width > max_width:
        return None
    return cv2.resize(image, (new_width, INPUT_HEIGHT), interpolation=cv2.INTER_AREA)


def make_batch(samples, encoder: Encoder, rng: random.Random, config: TrainConfig):
    """NCHW in [-1, 1] right-padded with the model's zero (as the engine pads), with
    per-line frame counts, CTC targets and loss weights."""
    strips, targets, weights, keep = [], [], [], []
    for sample in samples:
        strip = _student_input(sample.image(), rng, config.max_width, config.condense_share)
        target = encoder.encode(sample.text)
        if strip is None or not target:
            continue
        frames = math.ceil(strip.shape[1] / STRIDE)
        repeats = sum(a == b for a, b in zip(target, target[1:]))
        if frames < len(target) + repeats:
            continue
        strips.append(strip)
        targets.append(target)
        agrees = normalised(sample.teacher) == normalised(sample.text)
        weights.append(config.weight_teacher_agrees if agrees else config.weight_teacher_differs)
        keep.append(sample.keepable and "," not in sample.text and "，" not in sample.text)
    if not strips:
        return None
    # widths in steps of 32 px: every new input shape costs the CPU kernels' caches memory
    width = math.ceil(max(s.shape[1] for s in strips) / WIDTH_STEP) * WIDTH_STEP
    if rng.random() < 0.3:  # sometimes more padding than the batch needs: the engine pads short lines
        width += WIDTH_STEP * rng.randint(1, 4)
    batch = np.zeros((len(strips), 3, INPUT_HEIGHT, width), dtype=np.float32)
    for i, strip in enumerate(strips):
        batch[i, :, :, : strip.shape[1]] = strip.transpose(2, 0, 1).astype(np.float32) / 127.5 - 1.0
    return (torch.from_numpy(batch), torch.tensor([math.ceil(s.shape[1] / STRIDE) for s in strips]),
            torch.tensor([t for target in targets for t in target]), torch.tensor([len(t) for t in targets]),
            torch.tensor(weights), torch.tensor(keep))


def ctc_loss(logits, frames, targets, target_lengths, weights):
    log_probs = logits.log_softmax(-1).transpose(0, 1)  # [T, N, C]
    per_line = torch.nn.functional.ctc_loss(log_probs, targets, frames, target_lengths, blank=0,
                                            reduction="none", zero_infinity=True)
    per_line = per_line / target_lengths.clamp(min=1)
    return (per_line * weights).sum() / weights.sum()


def keep_loss(logits, reference_logits, frames, keep):
    """Mean KL(reference || student) over the frames of the lines in `keep`."""
    reference = reference_logits.softmax(-1)
    divergence = (reference * (reference.clamp_min(1e-8).log() - logits.log_softmax(-1))).sum(-1)  # [N, T]
    valid = (torch.arange(logits.shape[1])[None, :] < frames[:, None]) & keep[:, None]
    return (divergence * valid).sum() / valid.sum().clamp(min=1)


def learning_rate(step: int, config: TrainConfig) -> float:
    if step < config.warmup_steps:
        return config.lr * (step + 1) / config.warmup_steps
    progress = min(1.0, (step - config.warmup_steps) / max(1, config.steps - config.warmup_steps))
    return config.lr * (config.min_lr_ratio + (1 - config.min_lr_ratio) * 0.5 * (1 + math.cos(math.pi * progress)))


def save_checkpoint(path: Path, state: dict) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    torch.save(state, tmp)
    os.replace(tmp, path)


def build_student(cache_dir: Path, log=print) -> tuple[CRNN, Encoder]:
    onnx_path, charset_path = extract_pretrained(cache_dir, log)
    characters = pretrained_charset(charset_path)
    model = load_onnx_weights(CRNN(len(characters) + 1), onnx_path)
    return model, Encoder(characters)


def initial_student(config: TrainConfig, log=print) -> tuple[CRNN, Encoder]:
    """PP-OCRv2's weights, or `config.base_checkpoint`'s, with `config.added_characters`
    put in the charset (before the space, which the engine appends last)."""
    model, encoder = build_student(Path(config.cache_dir), log)
    if config.base_checkpoint:
        from .export import load_checkpoint, model_for

        model, charset = model_for(config.base_checkpoint)
        load_checkpoint(model, Path(config.base_checkpoint))
        encoder = Encoder(charset[1:])
    added = [ch for ch in dict.fromkeys(config.added_characters) if not ch.isspace() and ch not in encoder.index]
    if added:
        characters = encoder.charset[1:]
        at = len(characters) - 1 if characters[-1] == " " else len(characters)
        model = widen_head(model, at + 1, len(added))
        encoder = Encoder(characters[:at] + added + characters[at:])
    return model, encoder


def widen_head(model: CRNN, at: int, count: int) -> CRNN:
    """`count` new classes at index `at` of the head, starting near "never" (the lowest
    bias of the characters), so that every reading of the old classes stays as it was."""
    old = model.head
    new = torch.nn.Linear(old.in_features, old.out_features + count)
    with torch.no_grad():
        torch.nn.init.normal_(new.weight, std=0.01)
        new.weight[:at], new.weight[at + count :] = old.weight[:at], old.weight[at:]
        new.bias[:at], new.bias[at + count :] = old.bias[:at], old.bias[at:]
        new.bias[at : at + count] = old.bias[1:].min()
    model.head = new
    return model


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
    optimizer = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=config.lr, weight_decay=config.weight_decay)
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
    if config.domain_corpus:
        from .domain import RenderedPool

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
    running, last_refresh, queued, last_mean_loss = [], time.time(), [], None
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
            loss = loss + config.keep_weight * keep_loss(logits.float().cpu(), reference_logits.float().cpu(), frames, keep)
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
            _record(curve_path, model, encoder, eval_dir, device, step, samples_seen, seconds, summary.get("mean_loss"), log)
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
