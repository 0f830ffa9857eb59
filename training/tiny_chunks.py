"""crnn-v6t's lines packed small enough to travel to a lent GPU (training/tiny_gpu.py): the
device machine takes 64 MiB a call and starts bare, so `pack` writes the shards' lines as
WebP (a quarter of their JPEG bytes) with their targets already mapped onto the student's
charset (CTC ids, the teacher's top-3 per frame), in chunks that travel one call each.
`pack` runs here, with ocr_engine (the teacher's charset); `Lines` reads a chunk anywhere."""

from __future__ import annotations

import json
import random
from pathlib import Path

import numpy as np

from .tiny_run import _log

TOP = 3  # of the teacher's top-5 per frame; the 4th and 5th hold almost no mass
WEBP_QUALITY = 80


def _line_record(sample, encoder, mapping, max_width: int):
    """(webp bytes, CTC ids, teacher agrees, soft ids, soft probs) or None where make_batch
    would skip the line."""
    import cv2

    from .tiny_batches import line_targets

    image = sample.image()
    found = line_targets(sample, image, encoder, mapping, max_width, top=TOP)
    if found is None:
        return None
    target, agrees, ids, probs = found
    ok, webp = cv2.imencode(".webp", image, [cv2.IMWRITE_WEBP_QUALITY, WEBP_QUALITY])
    assert ok
    return webp.ravel(), np.asarray(target, np.int16), agrees, ids.astype(np.int16), probs.astype(np.float16)


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

    from .data import complete_shards
    from .teacher import teacher_pack
    from .tiny_batches import Encoder, load_targets
    from .tiny_config import TinyConfig
    from .tiny_student import charset_map, extract_tiny

    onnx_path, characters = extract_tiny(cache_dir)
    encoder = Encoder(characters)
    teacher_charset = teacher_pack().charset
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
