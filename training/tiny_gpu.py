"""crnn-v6t on a lent GPU: the shards' lines packed small enough to travel, and a trainer
that needs only torch, numpy, OpenCV and onnx (what the device image holds, no ocr_engine).

The device machine (see the developers' guide) takes 64 MiB a call and starts bare, so
`pack` writes the lines as WebP (a quarter of the shards' JPEG bytes) with their targets
already mapped onto the student's charset (CTC ids, the teacher's top-3 per frame), in
chunks that travel one call each; `train` reads every chunk it finds. Run on the device:

  python -m training.tiny_gpu train --chunks .gpu/a .gpu/b .gpu/c --resume training/models/crnn-v6t.ckpt.pt \
      --tiny .gpu/a/rec.onnx --out $OUT --seconds 480

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

TOP = 3  # of the teacher's top-5 per frame; the 4th and 5th hold almost no mass
WEBP_QUALITY = 80


def _log(message: str) -> None:
    print(time.strftime("%H:%M:%S"), message, file=sys.stderr, flush=True)


# ---------------------------------------------------------------- pack (here, with ocr_engine)


def _line_record(sample, encoder, mapping, max_width: int):
    """(webp bytes, CTC ids, weight, soft ids, soft probs) or None where make_batch would skip the line."""
    import cv2

    from .batches import normalised
    from .tiny_student import STRIDE

    image = sample.image()
    target = encoder.encode(sample.text)
    frames = math.ceil(image.shape[1] / STRIDE)
    repeats = sum(a == b for a, b in zip(target, target[1:]))
    if not target or image.shape[1] > max_width or frames < len(target) + repeats:
        return None
    ids = mapping[sample.top_classes[:, :TOP].astype(np.int64)]
    probs = np.where(ids >= 0, sample.top_probs[:, :TOP], 0.0)
    probs /= np.maximum(probs.sum(-1, keepdims=True), 1e-6)
    ok, webp = cv2.imencode(".webp", image, [cv2.IMWRITE_WEBP_QUALITY, WEBP_QUALITY])
    assert ok
    agrees = normalised(sample.teacher) == normalised(sample.text)
    soft_ids, soft_probs = np.maximum(ids, 0).astype(np.int16), probs.astype(np.float16)
    return webp.ravel(), np.asarray(target, np.int16), agrees, soft_ids, soft_probs


def _write_chunk(path: Path, records: list, sources: list[int]) -> int:
    webp = [r[0] for r in records]
    targets = [r[1] for r in records]
    soft = [r[3] for r in records]
    np.savez_compressed(
        path, webp=np.concatenate(webp), webp_offsets=np.cumsum([0] + [len(w) for w in webp]),
        targets=np.concatenate(targets), target_offsets=np.cumsum([0] + [len(t) for t in targets]),
        agrees=np.array([r[2] for r in records]), source=np.array(sources, np.int8),
        soft_ids=np.concatenate(soft), soft_probs=np.concatenate([r[4] for r in records]),
        frame_offsets=np.cumsum([0] + [len(s) for s in soft]))
    return path.stat().st_size


def pack(data: list[Path], held_out: list[Path], out: Path, budgets_mb: list[float], seed: int,
         cache_dir: Path = Path("build/wheels")) -> None:
    """Lines from every data folder, each folder as many as the others (the trainer draws
    them alike), into chunks out/<a, b, ...>/lines.npz of at most the given MB; the held-out
    lines and tiny's rec.onnx go with the first."""
    import shutil

    from ocr_engine.packs import DEFAULT_PACK, ModelPack, local_packs_dir

    from .data import complete_shards
    from .tiny_batches import Encoder, load_targets
    from .tiny_config import TinyConfig
    from .tiny_student import charset_map, extract_tiny

    onnx_path, characters = extract_tiny(cache_dir)
    encoder = Encoder(characters)
    teacher_charset = ModelPack.load(local_packs_dir() / DEFAULT_PACK).charset
    mapping = charset_map(tuple(characters), tuple(teacher_charset[1:-1]))
    max_width = TinyConfig("", "").max_width
    rng = random.Random(seed)
    queues = []
    for folder in data:
        shards = complete_shards(folder)
        rng.shuffle(shards)
        queues.append((folder, shards))
    manifest: dict = {"seed": seed, "data": [str(f) for f in data], "held_out": [str(f) for f in held_out],
                      "webp_quality": WEBP_QUALITY, "top": TOP, "chunks": {}}
    for number, budget in enumerate(budgets_mb):
        name = "abcdefgh"[number]
        folder_out = out / name
        folder_out.mkdir(parents=True, exist_ok=True)
        budget_bytes = budget * 1e6
        if number == 0:
            shutil.copy(onnx_path, folder_out / "rec.onnx")
            (folder_out / "charset.json").write_text(json.dumps(characters, ensure_ascii=False))
            records = [r for f in held_out for i in complete_shards(f) for s in load_targets(f, i)
                       if (r := _line_record(s, encoder, mapping, max_width))]
            _write_chunk(folder_out / "held-out.npz", records, [0] * len(records))
            budget_bytes -= sum(p.stat().st_size for p in folder_out.iterdir())
        records, sources, used, taken = [], [], 0.0, []
        while used < budget_bytes * 0.97 and any(shards for _, shards in queues):
            for source, (folder, shards) in enumerate(queues):  # one shard from each folder in turn
                if not shards:
                    continue
                index = shards.pop()
                taken.append(f"{folder.name}/{index}")
                for sample in load_targets(folder, index):
                    if record := _line_record(sample, encoder, mapping, max_width):
                        records.append(record)
                        sources.append(source)
                        used += len(record[0]) + 0.45 * (record[3].nbytes + record[4].nbytes)
        size = _write_chunk(folder_out / "lines.npz", records, sources)
        manifest["chunks"][name] = {"lines": len(records), "bytes": size, "shards": taken}
        _log(f"chunk {name}: {len(records)} lines, {size / 1e6:.1f} MB")
    (out / "manifest.json").write_text(json.dumps(manifest, indent=1))


# ---------------------------------------------------------------- train (on the device)


class Lines:
    """A chunk's lines: WebP bytes and targets, sliced on demand."""

    def __init__(self, path: Path):
        with np.load(path) as arrays:
            self.arrays = {k: arrays[k] for k in arrays.files}

    def __len__(self) -> int:
        return len(self.arrays["agrees"])

    def image(self, i: int) -> np.ndarray:
        import cv2

        a = self.arrays
        image = cv2.imdecode(a["webp"][a["webp_offsets"][i]:a["webp_offsets"][i + 1]], cv2.IMREAD_COLOR)
        assert image is not None  # WebP bytes that pack() encoded
        return image

    def targets(self, i: int):
        a = self.arrays
        frames = slice(a["frame_offsets"][i], a["frame_offsets"][i + 1])
        target = a["targets"][a["target_offsets"][i]:a["target_offsets"][i + 1]]
        return (target.astype(np.int64), bool(a["agrees"][i]), a["soft_ids"][frames].astype(np.int64),
                a["soft_probs"][frames].astype(np.float32))

    def width(self, i: int) -> int:
        return int(self.arrays["frame_offsets"][i + 1] - self.arrays["frame_offsets"][i])


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
    import torch

    from .tiny_student import INPUT_HEIGHT, STRIDE, WIDTH_STEP

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
            width = math.ceil(max(s.shape[1] for s in strips) / WIDTH_STEP) * WIDTH_STEP
            if rng.random() < 0.3:  # the engine pads short lines: the student must not read the padding
                width += WIDTH_STEP * rng.randint(1, 4)
            n, t_max = len(strips), width // STRIDE
            batch = np.zeros((n, 3, INPUT_HEIGHT, width), dtype=np.float32)
            ids = np.zeros((n, t_max, TOP), dtype=np.int64)
            probs = np.zeros((n, t_max, TOP), dtype=np.float32)
            for k, strip in enumerate(strips):
                batch[k, :, :, :strip.shape[1]] = strip.transpose(2, 0, 1) / 127.5 - 1.0
                ids[k, :len(soft_ids[k])] = soft_ids[k][:t_max]
                probs[k, :len(soft_probs[k])] = soft_probs[k][:t_max]
            frames = torch.tensor([math.ceil(s.shape[1] / STRIDE) for s in strips])
            yield (torch.from_numpy(batch), frames, torch.from_numpy(np.concatenate(targets)),
                   torch.tensor([len(t) for t in targets]), torch.tensor(line_weights), torch.from_numpy(ids),
                   torch.from_numpy(probs))


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
    from .tiny_student import build_student, load_weights

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
    model = build_student(first / "rec.onnx", config.hidden)
    load_weights(model, state)
    model.to(device).train()
    optimizer = torch.optim.AdamW(model.parameters(), lr=config.lr, weight_decay=config.weight_decay)
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
        for group in optimizer.param_groups:
            group["lr"] = learning_rate()
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
