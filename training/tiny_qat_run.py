"""Runs of quantization-aware fine-tuning (training/tiny_qat.py): the training loop, checkpointed
and resumable, and the export of a run's checkpoint to the INT8 student."""

from __future__ import annotations

import copy
import json
import math
import random
import signal
import sys
import time
from pathlib import Path
from typing import cast

import torch

from .quantize_convs import convolution_grids
from .tiny_batches import strip_batch
from .tiny_config import TinyConfig
from .tiny_qat import Int8Convolutions, distillation_loss, export_int8, simulate_int8
from .tiny_student import STRIDE

CHECKPOINT = "checkpoint.pt"
MAX_WIDTH = TinyConfig("", "").max_width  # px at height 48: wider lines are left out, as tiny_train does


def train(run: Path, student: Path, grids_from: Path, folders: list[Path], from_shard: int, steps: int, lr: float,
          batch_size: int, seed: int, threads: int, cache_dir: Path, resume: bool, checkpoint_minutes: float = 5.0,
          warmup: int = 100, log=print) -> None:
    """Fine-tune `student` (a tiny_train checkpoint) with its INT8 convolutions simulated on
    `grids_from`'s grids, on the lines of `folders`' shards from `from_shard` on (each folder
    drawn alike), `steps` steps of SGD (momentum 0.9) on the INT8 convolutions' weights, in units
    of their INT8 steps: `lr` after `warmup` steps, down a cosine to a tenth of it. Checkpoints every few
    minutes and on SIGTERM; `resume` (the units are taken again from the weights resumed)."""
    from .data import complete_shards, load_shard, width_sorted_batches
    from .tiny_student import load_checkpoint, load_weights

    torch.set_num_threads(threads)
    run.mkdir(parents=True, exist_ok=True)
    rng = random.Random(seed)
    torch.manual_seed(seed)
    reference = load_checkpoint(student, cache_dir).requires_grad_(False)
    # the student's own settings, its backbone now trained whatever it was (load_weights reads it)
    student_config = torch.load(student, weights_only=False)["config"] | {"frozen_backbone": False}
    model = copy.deepcopy(reference)
    step, seconds, state = 0, 0.0, None
    if resume and (run / CHECKPOINT).is_file():
        state = torch.load(run / CHECKPOINT, weights_only=False)
        load_weights(model, state)
    # only the INT8 convolutions' weights train, in units of their INT8 steps (Int8Convolutions)
    int8 = cast(Int8Convolutions, simulate_int8(model, convolution_grids(grids_from)).backbone)
    model.eval()  # batch norms frozen: their folding is the export's
    # SGD: Adam's first steps move every weight by its rate whatever its gradient, and on this
    # loss such a step in the gradient's signs raised it however small the rate that moved the
    # weights at all (pilots on training-world lines: training/MANIFEST, run crnn-v6t-q3)
    optimizer = torch.optim.SGD(int8.units.parameters(), lr=lr, momentum=0.9)
    if state is not None:
        optimizer.load_state_dict(state["optimizer"])
        step, seconds = state["step"], state["train_seconds"]
        rng.setstate(state["rng"])
        log(f"resumed at step {step}")
    config = {"student": str(student), "grids_from": str(grids_from), "data": [str(f) for f in folders],
              "from_shard": from_shard, "steps": steps, "lr": lr, "warmup": warmup, "batch_size": batch_size,
              "seed": seed, "threads": threads}
    (run / "config.json").write_text(json.dumps(config, indent=1))
    pools = {folder: [s for index in complete_shards(folder) if index >= from_shard for s in load_shard(folder, index)]
             for folder in folders}
    log(f"{sum(map(len, pools.values()))} lines in {len(folders)} folders")
    stop = {"now": False}
    signal.signal(signal.SIGTERM, lambda *_: stop.update(now=True))

    def checkpoint():
        from .train import save_checkpoint

        int8.write_back()
        model.backbone = int8.inner
        weights = model.state_dict()
        model.backbone = int8
        save_checkpoint(run / CHECKPOINT, {"model": weights, "optimizer": optimizer.state_dict(), "step": step,
                                           "train_seconds": seconds, "rng": rng.getstate(),
                                           "config": student_config,
                                           "qat": config})

    last_checkpoint, running = time.time(), []
    while step < steps and not stop["now"]:
        picks = [pools[folder][rng.randrange(len(pools[folder]))] for folder in
                 (rng.choice(folders) for _ in range(batch_size * 8))]
        for samples in width_sorted_batches([s for s in picks if s.frames * STRIDE <= MAX_WIDTH], batch_size, rng):
            started = time.time()
            progress = min(1.0, max(0, step - warmup) / max(1, steps - warmup))
            rate = lr * min(1.0, (step + 1) / warmup) * (0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * progress)))
            for group in optimizer.param_groups:
                group["lr"] = rate
            batch = torch.from_numpy(strip_batch([s.image() for s in samples], rng))
            loss = distillation_loss(model, reference, batch)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            seconds += time.time() - started
            step += 1
            running.append(loss.item())
            if step % 25 == 0:
                log(f"step {step} kl {sum(running) / len(running):.5f} lr {rate:.2e} {seconds / step:.2f}s/step")
                running = []
            if time.time() - last_checkpoint > checkpoint_minutes * 60 or stop["now"] or step >= steps:
                checkpoint()
                last_checkpoint = time.time()
                if stop["now"] or step >= steps:
                    break
    checkpoint()
    log(f"stopped at step {step}")


def main(argv: list[str] | None = None) -> int:
    import argparse

    parser = argparse.ArgumentParser(prog="python -m training.tiny_qat_run", description=__doc__.split("\n")[0])
    parser.add_argument("--run", type=Path, required=True)
    parser.add_argument("--student", type=Path, default=Path("training/models/crnn-v6t.ckpt.pt"),
                        help="the float student's (slim) checkpoint")
    parser.add_argument("--grids", type=Path, default=Path("training/models/crnn-v6t-convs.onnx"),
                        help="quantize_convs' QDQ model of that student: which convolutions, on which grids")
    parser.add_argument("--data", type=Path, nargs="+", help="training-world shard folders")
    parser.add_argument("--from-shard", type=int, default=6,
                        help="the shards before this one are left out (the doubt model was fitted on them)")
    parser.add_argument("--steps", type=int, default=1300)
    parser.add_argument("--lr", type=float, default=30.0,
                        help="SGD's rate on the weights in INT8 steps (their gradients are 1e-6 to 1e-4)")
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--seed", type=int, default=20261246)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--cache-dir", type=Path, default=Path("build/wheels"))
    parser.add_argument("--resume", action="store_true")
    parser.add_argument("--export", type=Path, metavar="OUT", help="the run's checkpoint to INT8 ONNX, and stop")
    parser.add_argument("--calibrate", type=Path, nargs="+", help="with --export: shard folders feeding the "
                        "quantizer's calibration pass (the grids override its ranges)")
    args = parser.parse_args(argv)
    if args.export:
        import hashlib

        from .quantize_convs import shard_lines
        from .tiny_student import extract_tiny, load_checkpoint

        characters = extract_tiny(args.cache_dir)[1]
        model = load_checkpoint(args.run / CHECKPOINT, args.cache_dir)
        export_int8(model, args.grids, args.export, characters, shard_lines(args.calibrate or args.data, 16))
        print(f"{args.export}: sha256 {hashlib.sha256(args.export.read_bytes()).hexdigest()}")
        return 0
    if not args.data:
        parser.error("--data is needed to train")

    def log(message: str) -> None:
        print(time.strftime("%H:%M:%S"), message, file=sys.stderr, flush=True)

    train(args.run, args.student, args.grids, args.data, args.from_shard, args.steps, args.lr, args.batch_size,
          args.seed, args.threads, args.cache_dir, args.resume, log=log)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
