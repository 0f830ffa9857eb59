"""Training data as shards on disk: lines rendered from realistic text, each read once by
the teacher, written once and reused by every run and every resume.

A shard is two files written atomically: `shard-NNNNN.jsonl` (text, generator, the
teacher's text and confidence) and `shard-NNNNN.npz` (the images as JPEG bytes at the
teacher's height, the teacher's top-k per frame). Shard `i` depends only on
(seed, i), so any shard can be rebuilt and a producer stopped at any point resumes."""

from __future__ import annotations

import hashlib
import json
import os
import random
import time
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from .line_texts import LineTexts
from .render import LineRenderer

SHARD_SIZE = 256


def shard_paths(folder: Path, index: int) -> tuple[Path, Path]:
    return folder / f"shard-{index:05d}.jsonl", folder / f"shard-{index:05d}.npz"


def complete_shards(folder: Path) -> list[int]:
    """Shards whose both files are in place (the .npz is renamed in last)."""
    return sorted(int(p.stem.split("-")[1]) for p in Path(folder).glob("shard-*.npz")
                  if shard_paths(folder, int(p.stem.split("-")[1]))[0].is_file())


def _atomic_write(path: Path, data: bytes) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)


def held_out_text(text: str) -> bool:
    """One text in ten, by its hash, is never trained on (font set v2 on): such lines are
    kept for the held-out lines, which are drawn in fonts never trained on too."""
    return int(hashlib.sha1(text.encode("utf-8")).hexdigest()[:8], 16) % 10 == 0


def build_shard(folder: Path, index: int, seed: int, charset: set[str], teacher, size: int = SHARD_SIZE,
                font_set: str = "v1", held_out: bool | None = None, look: str = "print",
                tight_share: float = 0.0, traditional_share: float = 0.0, small_share: float = 0.0,
                dot_share: float = 0.0, cell_share: float = 0.0) -> None:
    """`held_out`: None keeps every text (the v1 shards), False only trainable texts, True
    only held-out ones (`held_out_text`); `tight_share`, `small_share`, `dot_share`
    (LineRenderer), `traditional_share` and `cell_share` (LineTexts) at 0 draw the shards made
    before them."""
    shard_seed = seed * 1_000_003 + index
    texts = LineTexts(charset, shard_seed, traditional_share=traditional_share, cell_share=cell_share)
    renderer = LineRenderer(shard_seed, font_set, look, tight_share, small_share, dot_share)
    records, jpegs, top_classes, top_probs = [], [], [], []
    for _ in range(size):
        kind, text = next(texts)
        while held_out is not None and held_out_text(text) != held_out:
            kind, text = next(texts)
        # JPEG (q95) keeps shards ~4x smaller than PNG; the teacher reads the decoded JPEG,
        # the very pixels the student will see
        ok, encoded = cv2.imencode(".jpg", renderer.render(text), [cv2.IMWRITE_JPEG_QUALITY, 95])
        assert ok
        (reading,) = teacher.read([cv2.imdecode(encoded, cv2.IMREAD_COLOR)])
        records.append({"text": text, "kind": kind, "teacher": reading.text,
                        "teacher_conf": round(reading.confidence, 4), "frames": len(reading.top_classes)})
        jpegs.append(encoded.ravel())
        top_classes.append(reading.top_classes)
        top_probs.append(reading.top_probs)
    jsonl, npz = shard_paths(folder, index)
    _atomic_write(jsonl, "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records).encode("utf-8"))
    import io

    buffer = io.BytesIO()
    np.savez(buffer, jpeg=np.concatenate(jpegs), jpeg_offsets=np.cumsum([0] + [len(p) for p in jpegs]),
             top_classes=np.concatenate(top_classes), top_probs=np.concatenate(top_probs))
    _atomic_write(npz, buffer.getvalue())


def produce(folder: Path, seed: int, charset: set[str], shards: int, log=print, **shard_options) -> None:
    """Write shards 0..shards-1 that are missing, in order; safe to stop and rerun.
    `shard_options`: build_shard's font_set, held_out, look and the shares."""
    from .teacher import Teacher

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    teacher = Teacher(threads=1)
    done = set(complete_shards(folder))
    for index in range(shards):
        if index in done:
            continue
        start = time.time()
        build_shard(folder, index, seed, charset, teacher, **shard_options)
        log(f"data: shard {index} ({SHARD_SIZE} lines) in {time.time() - start:.1f}s")


@dataclass
class Sample:
    text: str
    teacher: str
    teacher_conf: float
    jpeg: np.ndarray  # JPEG bytes
    frames: int  # the teacher's frames: the width at height 48, over 8
    keepable: bool = True  # the keep term (train.py) applies: the original network knows its characters
    kind: str = ""  # the generator that wrote the text (training/corpus.py)

    def image(self) -> np.ndarray:
        image = cv2.imdecode(self.jpeg, cv2.IMREAD_COLOR)
        assert image is not None  # JPEG bytes encoded here
        return image


def load_shard(folder: Path, index: int) -> list[Sample]:
    jsonl, npz = shard_paths(folder, index)
    records = [json.loads(line) for line in jsonl.read_text(encoding="utf-8").splitlines()]
    with np.load(npz, allow_pickle=False) as arrays:
        jpeg, offsets = arrays["jpeg"], arrays["jpeg_offsets"]
        return [Sample(r["text"], r["teacher"], r["teacher_conf"], jpeg[offsets[i]:offsets[i + 1]].copy(), r["frames"],
                       kind=r.get("kind", "")) for i, r in enumerate(records)]


class SamplePool:
    """The samples of every complete shard, refreshed as the producer adds shards.
    Batches are drawn at random, half of them from the newest shards, so fresh lines
    are seen soon and older ones keep being revisited."""

    def __init__(self, folder: Path, seed: int, max_samples: int = 400_000):
        self.folder = Path(folder)
        self.rng = random.Random(seed)
        self.max_samples = max_samples
        self.loaded: set[int] = set()
        self.samples: list[Sample] = []
        self.newest_start = 0

    def refresh(self, wait_for: int = 1, log=print) -> None:
        while True:
            available = [i for i in complete_shards(self.folder) if i not in self.loaded]
            if available or len(self.loaded) >= wait_for:
                break
            log(f"data: waiting for shards in {self.folder}")
            time.sleep(10)
        if available:
            self.newest_start = len(self.samples)
        for index in available:
            self.samples.extend(load_shard(self.folder, index))
            self.loaded.add(index)
        if len(self.samples) > self.max_samples:
            drop = len(self.samples) - self.max_samples
            self.samples = self.samples[drop:]
            self.newest_start = max(0, self.newest_start - drop)

    def describe(self) -> str:
        return f"pool {len(self.samples)} shards {len(self.loaded)}"

    def batches(self, size: int, group: int = 8) -> list[list[Sample]]:
        """`group` batches from `size * group` random samples, half of them fresh."""
        fresh = self.samples[self.newest_start:]
        picks = []
        for _ in range(size * group):
            pool = fresh if fresh and self.rng.random() < 0.5 else self.samples
            picks.append(pool[self.rng.randrange(len(pool))])
        return width_sorted_batches(picks, size, self.rng)


def width_sorted_batches(lines: list, size: int, rng: random.Random) -> list[list]:
    """Batches of lines of similar width, in random order: a batch is padded to its widest
    line, and random batches of lines 60 to 960 px wide would be mostly padding."""
    lines = sorted(lines, key=lambda line: line.frames)
    batches = [lines[i : i + size] for i in range(0, len(lines), size)]
    rng.shuffle(batches)
    return batches
