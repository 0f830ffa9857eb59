"""A record's `rebuilds`: a shipped file made again from the committed file it was made from
(the run's full checkpoint, in git history), by the command that made it (`slim`, `export`),
and compared byte for byte with the committed file."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from .digests import sha256_file
from .records import git_blob, repo_path

# rendered lines both ONNX files read when they are not byte for byte the same
PROBE_SEED = 7_000_019
PROBE_LINES = ["NO.89&91, JALAN UTAMA,", "发票代码 144031900111", "TOTAL RM 12.50", "北京市朝阳区建国路88号"]
# An export's fp32 arithmetic differs a little from one CPU to another, and an INT8 weight
# that sits on a rounding edge then lands one step away: crnn-zh-v1.onnx, exported on an Intel
# Xeon, rebuilt on an AMD EPYC differs by 0.027 at most (0 on the Xeon). The rebuilt file
# must read every probe line as the shipped one does, and stay this close.
MAX_PROBABILITY_DIFF = 0.05


def rebuild(entry: dict, work: Path, check, log) -> None:
    source_spec, target = entry["from"], entry["target"]
    what = f"{target['path']} rebuilt by `{entry['command']}` from {source_spec['git']}"
    source = git_blob(source_spec["git"], work / "sources" / Path(source_spec["git"].split(":", 1)[1]).name)
    if source is None:
        check(what, target["sha256"], "the git history does not hold the source here", ok=None)
        return
    check(f"sha256 of {source_spec['git']}", source_spec["sha256"], sha256_file(source))
    # the same file name: torch.save names its archive's folder after the file
    out = work / "rebuilt" / Path(target["path"]).name
    out.parent.mkdir(parents=True, exist_ok=True)
    if entry["command"] == "slim":
        from .export import slim_checkpoint

        slim_checkpoint(source, out)
    elif entry["command"] == "export":
        from .export import export_checkpoint

        export_checkpoint(source, out, log=log)
    else:
        raise ValueError(f"rebuild command {entry['command']!r}: slim or export")
    got = sha256_file(out)
    if got == target["sha256"] or not out.suffix == ".onnx":
        check(f"{what}: byte for byte", target["sha256"], got)
        return
    diff, same_reading = _largest_difference(out, repo_path(target["path"]))
    check(f"{what}: not byte for byte; the same best path on {len(PROBE_LINES)} rendered lines, "
          f"probabilities within {MAX_PROBABILITY_DIFF}", target["sha256"],
          {"sha256": got, "max_probability_diff": diff, "same_best_path": same_reading},
          ok=same_reading and diff <= MAX_PROBABILITY_DIFF)


def _largest_difference(a: Path, b: Path) -> tuple[float, bool]:
    """The largest difference between two recognisers' per-frame probabilities on rendered
    lines, and whether their best paths (the text they read) agree on every line."""
    from ocr_engine.preprocess import pad_batch, resize_to_height
    from ocr_engine.runtime import create_session

    from .evaluate import padded_width
    from .render import LineRenderer
    from .student import INPUT_HEIGHT

    renderer = LineRenderer(PROBE_SEED)
    sessions = [create_session(path, threads=1) for path in (a, b)]
    largest, same_reading = 0.0, True
    for text in PROBE_LINES:
        strip = resize_to_height(renderer.render(text), INPUT_HEIGHT)
        batch = pad_batch([strip], padded_width(strip.shape[1]))
        first, second = (session.run(None, {session.get_inputs()[0].name: batch})[0] for session in sessions)
        largest = max(largest, float(np.abs(first - second).max()))
        same_reading &= bool((first.argmax(-1) == second.argmax(-1)).all())
    return largest, same_reading
