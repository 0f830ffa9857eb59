"""A record's `replay`: the recorded step(s) run again. The recorded shards are rendered and
read again from (seed, index) and checked against their digests; a copy of the recorded
parent checkpoint is resumed with the run file and the recorded flags; step, samples, loss
and weights are compared with the record, bit for bit, or within tolerance where another
CPU or library build rounds differently."""

from __future__ import annotations

import platform
import shutil
from pathlib import Path

import numpy as np
import torch

from .digests import sha256_file, shard_digest, tensors_digest, weights_norm
from .records import DATA_CODE, code_commit, data_code_unchanged, repo_path

TOLERANCE = {"loss": 1e-4, "weights_norm": 1e-6, "update_norm": 1e-3}  # relative


def replay_steps(spec: dict, work: Path, train_config, check, update: bool, log) -> None:
    """`train_config(flags)`: the TrainConfig `python -m training train FLAGS` would run.
    With `update`, what this run got becomes the record's expectation."""
    from .train import CHECKPOINT, train

    parent = repo_path(spec["parent"]["path"])
    check(f"sha256 of the parent {spec['parent']['path']}", spec["parent"]["sha256"], sha256_file(parent))
    data = spec["data"]
    shards = regenerate(data, work / "shards", log)
    digests = {str(i): shard_digest(shards, i) for i in data["shards"]}
    if update:
        data["digests"] = digests
    check(f"shards {data['shards']} of seed {data['seed']} as recorded", data.get("digests"), digests,
          ok=None if update else "equal")
    if not update and data.get("digests") != digests:
        check(f"the data code ({', '.join(DATA_CODE)}) unchanged since the record's commit", spec.get("code_commit"),
              code_commit(), ok=data_code_unchanged(spec.get("code_commit")))

    run = work / "run"
    shutil.rmtree(run, ignore_errors=True)
    run.mkdir(parents=True)
    shutil.copyfile(parent, run / CHECKPOINT)
    flags = []
    for key, value in spec.get("flags", {}).items():
        flag = f"--{key.replace('_', '-')}"
        flags += [flag] if value is True else [flag, str(repo_path(value)) if key == "base_checkpoint" else str(value)]
    config = train_config(["--config", spec["config"], "--run", str(run), "--data", str(shards),
                           "--eval-dir", str(work / "no-dev-lines"), *flags])
    summary = train(config, resume=True, max_steps=spec["steps"], log=log)
    before = torch.load(parent, map_location="cpu", weights_only=False)["model"]
    after = torch.load(run / CHECKPOINT, map_location="cpu", weights_only=False)
    got = {"step": after["step"], "samples_seen": after["samples_seen"], "loss": summary["loss"],
           "weights_sha256": tensors_digest(after["model"]), "weights_norm": weights_norm(after["model"]),
           "update_norm": weights_norm(after["model"], minus=before)}
    what = f"{spec['steps']} step(s) from the parent"
    if update:
        spec.update(expect=got, made_with=environment(), code_commit=code_commit())
        check(what, None, got, ok=None)
        return
    expect = spec["expect"]
    check(f"{what}: step and samples", [expect["step"], expect["samples_seen"]], [got["step"], got["samples_seen"]])
    if got["weights_sha256"] == expect["weights_sha256"]:
        check(f"{what}: weights bit for bit", expect, got, ok=True)
        return
    close = {k: abs(got[k] - expect[k]) <= TOLERANCE[k] * max(abs(expect[k]), 1e-12) for k in TOLERANCE}
    check(f"{what}: not bit for bit; loss and norms within {TOLERANCE} (recorded with {spec.get('made_with')}; "
          f"here {environment()})", expect, got, ok=all(close.values()))


def regenerate(data: dict, folder: Path, log) -> Path:
    """The record's shards in `folder` (and no others: the pool trains on every shard there),
    built where they are missing or differ."""
    from .config import TrainConfig
    from .data import build_shard, complete_shards
    from .student import extract_pretrained, pretrained_charset
    from .teacher import Teacher

    folder.mkdir(parents=True, exist_ok=True)
    for stray in set(complete_shards(folder)) - set(data["shards"]):
        for path in folder.glob(f"shard-{stray:05d}.*"):
            path.unlink()
    present = set(complete_shards(folder))
    wanted = [i for i in data["shards"]
              if i not in present or shard_digest(folder, i) != data.get("digests", {}).get(str(i))]
    if wanted:
        _, charset_path = extract_pretrained(Path(TrainConfig.cache_dir), log)
        charset, teacher = set(pretrained_charset(charset_path)), Teacher(threads=1)
        for index in wanted:
            log(f"replay: rendering shard {index} of seed {data['seed']} ({data['shard_size']} lines), "
                "the teacher reading it")
            build_shard(folder, index, data["seed"], charset, teacher, size=data["shard_size"])
    return folder


def environment() -> dict:
    """What bit-for-bit results depend on besides the code: library builds, fonts and the CPU."""
    import albumentations
    import cv2
    import onnxruntime
    import PIL

    from .render import available_fonts

    try:
        cpuinfo = Path("/proc/cpuinfo").read_text()
    except OSError:
        cpuinfo = ""
    cpu = next((line.split(":", 1)[1].strip() for line in cpuinfo.splitlines() if line.startswith("model name")),
               platform.processor())
    return {"torch": torch.__version__, "numpy": np.__version__, "opencv": cv2.__version__,
            "onnxruntime": onnxruntime.__version__, "albumentations": albumentations.__version__,
            "pillow": PIL.__version__, "python": platform.python_version(), "machine": platform.machine(), "cpu": cpu,
            "fonts": [Path(path).name + (f"#{index}" if index else "") for group in available_fonts()
                      for path, index in group]}
