"""`python -m training replay NAME`: a shipped model's run record (training/records/NAME.json)
checked against the committed files, and what can be made again from them made again.

1. files: the committed ONNX and checkpoint have the recorded sha256; the checkpoint holds
   the recorded step, samples and weights, its config is the run file's (training/configs),
   and every weight the ONNX keeps under its parameter's name is the checkpoint's.
2. scores: the checkpoint on the dev lines against the recorded metrics (where the dev
   lines are; skipped elsewhere).
3. rebuilds (training/rebuild.py): each shipped file made again, from the committed file it
   was made from, by the command that made it, and compared byte for byte.
4. steps (training/replay_steps.py): the recorded step(s) run again from the recorded
   parent checkpoint on shards rendered again from their seeds, and compared with the record.
The record's `missing` says what no committed file holds: what this cannot rebuild."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import torch

from .digests import sha256_file, tensors_digest
from .records import REPO, read_record, record_path, repo_path, write_record

# where a checkout keeps the dev lines and the pretrained wheel: no part of a run
LOCAL_CONFIG = ("eval_dir", "cache_dir")
SCORE_TOLERANCE = {"exact": 0.005, "cer": 0.001, "comma_exact": 0.09}  # one dev line; one of the 12 comma lines


def replay(name: str, train_config: Callable[[list[str]], object], work_dir: Path | None = None,
           eval_dir: Path | None = None, run_steps: bool = True, update: bool = False, log=print) -> dict:
    """Every check as {check, ok, expected, got} (ok None: not checked here, or just
    recorded by `update`), and `ok` where none failed. `train_config(flags)` is the
    TrainConfig `python -m training train FLAGS` runs (training/__main__.py)."""
    record = read_record(name)
    work = Path(work_dir) if work_dir else REPO / "build" / "replay" / record["name"]
    checks: list[dict] = []

    def check(what: str, expected, got, ok: bool | None | str = "equal") -> None:
        ok = expected == got if ok == "equal" else ok
        checks.append({"check": what, "ok": ok, "expected": expected, "got": got})
        log(f"replay: {what}: {'ok' if ok else 'not checked' if ok is None else 'DIFFERS'}")

    check_files(record, train_config, check)
    check_scores(record, eval_dir, check)
    if run_steps:
        from .rebuild import rebuild
        from .replay_steps import replay_steps

        for entry in record.get("rebuilds", []):
            rebuild(entry, work, check, log)
        if "replay" in record:
            replay_steps(record["replay"], work, train_config, check, update, log)
            if update:
                log(f"replay: {write_record(name, record)} updated")
    return {"record": str(record_path(name)), "ok": all(c["ok"] is not False for c in checks), "checks": checks,
            "missing": record.get("missing", [])}


def check_files(record: dict, train_config, check) -> None:
    from dataclasses import asdict

    if "model" in record:
        check(f"sha256 of {record['model']['path']}", record["model"]["sha256"],
              sha256_file(repo_path(record["model"]["path"])))
    entry = record["checkpoint"]
    checkpoint = repo_path(entry["path"])
    check(f"sha256 of {entry['path']}", entry["sha256"], sha256_file(checkpoint))
    state = torch.load(checkpoint, map_location="cpu", weights_only=False)
    check("the checkpoint's step and samples", [entry["step"], entry["samples_seen"]],
          [state["step"], state["samples_seen"]])
    check("the checkpoint's weights", entry["weights_sha256"], tensors_digest(state["model"]))
    config = asdict(train_config(["--config", record["run"]["config"]]))
    recorded = {k: v for k, v in state["config"].items() if k not in LOCAL_CONFIG}
    check(f"the checkpoint's config is the run file's ({record['run']['config']})", recorded,
          {k: config.get(k) for k in recorded})
    if "model" in record:
        same, compared = onnx_holds(repo_path(record["model"]["path"]), state["model"])
        check("the ONNX's weights kept under their names are the checkpoint's", compared, same,
              ok=same == compared if compared else None)


def onnx_holds(onnx_path: Path, weights: dict) -> tuple[int, int]:
    """(equal, compared): the ONNX initializers named after a parameter (those the export
    neither folded nor quantized) against the checkpoint's, in the checkpoint's precision."""
    import onnx
    from onnx import numpy_helper

    same = compared = 0
    for initializer in onnx.load(str(onnx_path)).graph.initializer:
        name = initializer.name.removeprefix("crnn.")
        if name in weights:
            ours = weights[name].numpy()
            compared += 1
            same += bool(np.array_equal(numpy_helper.to_array(initializer).astype(ours.dtype), ours))
    return same, compared


def check_scores(record: dict, eval_dir: Path | None, check) -> None:
    from .evaluate import DEFAULT_EVAL_DIR, evaluate
    from .export import load_checkpoint, model_for

    expected = record.get("metrics", {}).get("checkpoint")
    if not expected:
        return
    eval_dir = Path(eval_dir or DEFAULT_EVAL_DIR)
    what = f"the checkpoint's dev-line scores (within {({k: SCORE_TOLERANCE[k] for k in expected})})"
    if not (eval_dir / "labels.jsonl").is_file():
        check(what, expected, f"no dev lines at {eval_dir}", ok=None)
        return
    torch.set_num_threads(1)
    checkpoint = repo_path(record["checkpoint"]["path"])
    model, charset = model_for(checkpoint)
    load_checkpoint(model, checkpoint)
    scores = evaluate(model, charset, eval_dir)
    got = {k: scores[k] for k in expected}
    check(what, expected, got, ok=all(abs(got[k] - v) <= SCORE_TOLERANCE[k] for k, v in expected.items()))
