"""crnn-v6t on a lent GPU: a trainer that needs only torch, numpy, OpenCV and onnx (what the
device image holds, no ocr_engine), on the chunks of lines that training/tiny_chunks.py
packs to travel (`pack` here, one chunk a device call); `train` reads every chunk it is
given. Run on the device:

  python3 -m training.tiny_gpu train --chunks .gpu/a .gpu/b .gpu/c --resume training/models/crnn-v6t.ckpt.pt \
      --out $OUT --seconds 540 --eval-seconds 90 --lr 5e-4 --warmup 300

The checkpoint it writes is a tiny_train checkpoint (resumable there, slim, exportable).
Same losses as tiny_train (training/tiny_loss.py); on top, each line is varied as it is
drawn (colours, inversion, blur, noise, a small vertical shift and horizontal stretch,
the teacher's frames resampled to the stretched width), since a GPU sees each line many
times more often than the CPU runs did."""

from __future__ import annotations

import json
import math
import random
import sys
import time
from dataclasses import asdict
from pathlib import Path

import numpy as np

from .tiny_chunks import Lines, pack
from .tiny_run import _log


def vary(image: np.ndarray, ids: np.ndarray, probs: np.ndarray, target_length: int, rng: random.Random):
    """The line drawn a little differently; a stretch resamples the teacher's frames."""
    import cv2

    from .tiny_student import STRIDE

    image = image.astype(np.float32)
    if rng.random() < 0.3:
        image = image[:, :, rng.choice([[2, 1, 0], [1, 0, 2], [0, 2, 1], [1, 2, 0]])]
    if rng.random() < 0.1:
        image = 255.0 - image
    if rng.random() < 0.5:
        image = image * rng.uniform(0.7, 1.2) + rng.uniform(-30, 30)
    if rng.random() < 0.15:
        image = cv2.GaussianBlur(image, (3, 3), rng.uniform(0.5, 1.1))
    if rng.random() < 0.15:
        image = image + np.random.default_rng(rng.getrandbits(32)).normal(0, rng.uniform(3, 10), image.shape)
    if rng.random() < 0.3:
        shift = rng.randint(-3, 3)
        shifted = np.array([[1, 0, 0], [0, 1, shift]], np.float32)
        image = cv2.warpAffine(np.asarray(image, np.float32), shifted, (image.shape[1], image.shape[0]),
                               borderMode=cv2.BORDER_REPLICATE)
    if rng.random() < 0.3:
        width = max(STRIDE, round(image.shape[1] * rng.uniform(0.85, 1.15)))
        frames = math.ceil(width / STRIDE)
        if frames >= target_length * 2:  # CTC stays feasible whatever the repeats
            old = len(ids)
            take = np.minimum(((np.arange(frames) + 0.5) * old / frames).astype(np.int64), old - 1)
            image = cv2.resize(image, (width, image.shape[0]), interpolation=cv2.INTER_LINEAR)
            ids, probs = ids[take], probs[take]
    return np.clip(image, 0, 255), ids, probs


def gpu_batches(chunks: list[Lines], batch_size: int, seed: int, weights: tuple[float, float], augment: bool = True):
    """Endless batches: lines drawn alike from each source folder, grouped by width."""
    from .tiny_batches import assemble

    rng = random.Random(seed)
    np.random.seed(seed % 2**32)
    by_source: dict[int, list[tuple[int, int]]] = {}
    for c, lines in enumerate(chunks):
        for i, source in enumerate(lines.arrays["source"]):
            by_source.setdefault(int(source), []).append((c, i))
    sources = sorted(by_source)
    while True:
        picks = [rng.choice(by_source[rng.choice(sources)]) for _ in range(batch_size * 8)]
        picks.sort(key=lambda p: chunks[p[0]].width(p[1]))
        groups = [picks[i:i + batch_size] for i in range(0, len(picks), batch_size)]
        rng.shuffle(groups)
        for group in groups:
            strips, targets, line_weights, soft_ids, soft_probs = [], [], [], [], []
            for c, i in group:
                target, agrees, ids, probs = chunks[c].targets(i)
                image = chunks[c].image(i)
                if augment:
                    image, ids, probs = vary(image, ids, probs, len(target), rng)
                strips.append(image)
                targets.append(target)
                line_weights.append(weights[0] if agrees else weights[1])
                soft_ids.append(ids)
                soft_probs.append(probs)
            yield assemble(strips, targets, line_weights, soft_ids, soft_probs, rng)


def _batch_stream(chunk_dirs: list[Path], batch_size: int, seed: int, weights, workers: int):
    import torch

    class Stream(torch.utils.data.IterableDataset):
        def __iter__(self):
            info = torch.utils.data.get_worker_info()
            worker = info.id if info else 0
            chunks = [Lines(d / "lines.npz") for d in chunk_dirs]
            yield from gpu_batches(chunks, batch_size, seed * 1000 + worker, weights)

    return torch.utils.data.DataLoader(Stream(), batch_size=None, num_workers=workers, pin_memory=True,
                                       prefetch_factor=8 if workers else None, persistent_workers=bool(workers))


def held_out_exact(model, lines: Lines, characters: list[str], device) -> float:
    """Greedy reading of the held-out lines, each alone and right-padded to a multiple of 32."""
    import torch

    from .tiny_student import WIDTH_STEP

    charset = ["<blank>"] + characters + [" "]
    model.eval()
    right = 0
    with torch.no_grad():
        for i in range(len(lines)):
            image = lines.image(i)
            width = math.ceil(image.shape[1] / WIDTH_STEP) * WIDTH_STEP
            x = np.zeros((1, 3, image.shape[0], width), np.float32)
            x[0, :, :, :image.shape[1]] = image.transpose(2, 0, 1) / 127.5 - 1.0
            best = model.logits(torch.from_numpy(x).to(device))[0, :math.ceil(image.shape[1] / 8)].argmax(-1).tolist()
            text = "".join(charset[c] for k, c in enumerate(best) if c and (k == 0 or c != best[k - 1]))
            truth = "".join(charset[c] for c in lines.targets(i)[0])
            right += "".join(text.split()) == "".join(truth.split())
    model.train()
    return right / max(1, len(lines))


def train(args) -> None:
    import torch

    from .tiny_config import TinyConfig
    from .tiny_loss import losses
    from .tiny_student import build_student, load_weights, parameter_groups, set_learning_rate

    started = time.time()
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    torch.backends.cuda.matmul.allow_tf32 = True
    torch.backends.cudnn.allow_tf32 = True
    first = args.chunks[0]
    characters = json.loads((first / "charset.json").read_text())
    state = torch.load(args.resume, weights_only=False, map_location="cpu")
    parent = state["config"]
    config = TinyConfig(**{**parent, "run_dir": str(args.out), "batch_size": args.batch_size, "lr": args.lr,
                           "warmup_steps": args.warmup, "steps": args.steps, "min_lr_ratio": args.min_lr_ratio,
                           "frozen_backbone": False, "neck_steps": 0, "seed": args.seed})
    model = build_student(first / "rec.onnx", config.hidden, config.keep_neck, config.head)
    load_weights(model, state)
    model.to(device).train()
    optimizer = torch.optim.AdamW(parameter_groups(model, config), lr=config.lr, weight_decay=config.weight_decay)
    held_out = Lines(first / "held-out.npz")
    stream = iter(_batch_stream(args.chunks, config.batch_size, config.seed,
                                (config.weight_teacher_agrees, config.weight_teacher_differs), args.workers))
    step, samples, last_save, last_eval = 0, 0, time.time(), time.time()
    running: dict[str, float] = {}
    lines = sum(len(Lines(d / "lines.npz")) for d in args.chunks)
    _log(f"device {device}, {lines} lines, parent step {state['step']}, "
         f"held-out exact {held_out_exact(model, held_out, characters, device):.4f}")

    def save(name: str) -> None:
        weights = {k: v.detach().to("cpu", torch.float16) if v.is_floating_point() else v.cpu()
                   for k, v in model.state_dict().items()}
        torch.save({"model": weights, "step": state["step"] + step, "samples": state["samples"] + samples,
                    "train_seconds": state["train_seconds"] + (time.time() - started), "rng": random.getstate(),
                    "config": asdict(config), "gpu": {"parent_step": state["step"], "gpu_steps": step,
                                                      "chunks": [str(c) for c in args.chunks]}},
                   args.out / name)

    def learning_rate() -> float:
        """Warm-up by steps, then a cosine over the time given, so the run anneals however fast the device is."""
        if step < config.warmup_steps:
            return config.lr * (step + 1) / config.warmup_steps
        progress = min(1.0, (time.time() - train_start) / (args.seconds - (warm_end - started)))
        return config.lr * (config.min_lr_ratio + (1 - config.min_lr_ratio) * 0.5 * (1 + math.cos(math.pi * progress)))

    warm_end = train_start = time.time()
    while step < config.steps and time.time() - started < args.seconds:
        if step == config.warmup_steps:
            warm_end = train_start = time.time()
        batch = [t.to(device, non_blocking=True) for t in next(stream)]
        set_learning_rate(optimizer, learning_rate())
        parts = losses(model, None, batch, step, config)
        optimizer.zero_grad(set_to_none=True)
        parts["total"].backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 5.0)
        optimizer.step()
        step += 1
        samples += len(batch[1])
        for k, v in parts.items():
            running[k] = running.get(k, 0.0) + float(v.detach())
        if step % 200 == 0:
            _log(f"step {step} " + " ".join(f"{k} {v / 200:.3f}" for k, v in running.items())
                 + f" lr {learning_rate():.2e} {(time.time() - started) / step:.3f}s/step")
            running = {}
        if time.time() - last_eval > args.eval_seconds:
            _log(f"step {step} held-out exact {held_out_exact(model, held_out, characters, device):.4f}")
            save(f"step-{state['step'] + step}.pt")  # to choose from on the held-out lines, as a pack
            last_eval = time.time()
        if time.time() - last_save > 90:
            save("checkpoint.pt")
            last_save = time.time()
    save("checkpoint.pt")
    _log(f"stopped at gpu step {step}; held-out exact {held_out_exact(model, held_out, characters, device):.4f}")


def main(argv: list[str] | None = None) -> int:
    import argparse

    parser = argparse.ArgumentParser(prog="python -m training.tiny_gpu")
    commands = parser.add_subparsers(dest="command", required=True)
    p = commands.add_parser("pack", help="chunks of lines small enough to travel to the device")
    p.add_argument("--data", nargs="+", type=Path, required=True)
    p.add_argument("--held-out", nargs="+", type=Path, required=True)
    p.add_argument("--out", type=Path, required=True)
    p.add_argument("--mb", nargs="+", type=float, required=True, help="each chunk's size")
    p.add_argument("--seed", type=int, default=20261212)
    t = commands.add_parser("train", help="train on the chunks (on the device)")
    t.add_argument("--chunks", nargs="+", type=Path, required=True)
    t.add_argument("--resume", type=Path, required=True, help="a tiny_train checkpoint, slim or full")
    t.add_argument("--out", type=Path, required=True)
    t.add_argument("--seconds", type=float, default=480)
    t.add_argument("--steps", type=int, default=10**9, help="at most; the time given decides")
    t.add_argument("--batch-size", type=int, default=128)
    t.add_argument("--lr", type=float, default=6e-4)
    t.add_argument("--warmup", type=int, default=300)
    t.add_argument("--min-lr-ratio", type=float, default=0.03)
    t.add_argument("--workers", type=int, default=12)
    t.add_argument("--eval-seconds", type=float, default=120)
    t.add_argument("--seed", type=int, default=20261213)
    args = parser.parse_args(argv)
    if args.command == "pack":
        pack(args.data, args.held_out, args.out, args.mb, args.seed)
    else:
        args.out.mkdir(parents=True, exist_ok=True)
        train(args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
