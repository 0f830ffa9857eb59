"""Interleaved A/B timing: two systems as long-lived processes fed the same image in turn.

    bench/run --ab                                       # ours vs rapidocr-v4, lines and pages
    bench/.venv/bin/python bench/ab.py --a ours --b rapidocr-v4 --sets pages --rounds 3
    bench/.venv/bin/python bench/ab.py --a ours --b rapidocr-v4 --sets lines --recogniser
    bench/.venv/bin/python bench/ab.py --a ours@../base --b ours --sets pages   # a change against its base

`ours@DIR` runs the engine of the checkout in DIR (a `git worktree` of the change's base,
its `build/` linked to this one's), so a change is timed against its base interleaved.

Both processes load their models once (`bench/systems.py --serve`). Every image is read by
A then B, or B then A (the order flips every image and every round), for several rounds;
the fastest of each system's reads is kept. Machine noise (another process, a frequency
change) then falls on both systems alike, where a whole-process sum over a set lets one
slow kind of image hide behind another. Reported per image and per size bucket: the ratio
of the sums of times and the median of the per-image ratios (A / B: below 1, A is
faster), with both systems' scores from ../shared/eval/score.py. Writes
bench/results/<date>-ab-<A>-vs-<B>.json and .md (the command included).

`--sets lines` times each system's whole line path: decode, then what it does with a line
(ours and rapidocr-v4: orientation classifier and recogniser; faster-paddle, which has no
recognition-only call: detector and recogniser). `--recogniser` times the recogniser alone
on each line: the line is decoded and turned upright before the clock starts
(`systems.line_strip`); only systems that have a recogniser one can call alone take part
(ours, rapidocr-v4)."""

from __future__ import annotations

import argparse
import datetime as dt
import importlib.util
import json
import os
import platform
import statistics
import subprocess
import sys
from pathlib import Path

from PIL import Image

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))
from systems import EVAL, eval_files  # noqa: E402

OUR_PYTHON = ROOT / ".venv" / "bin" / "python"
PEER_PYTHON = ROOT / "bench" / ".venv" / "bin" / "python"
# megapixels: web images and phone photos, receipts, full-page scans
BUCKETS = ((0.0, 0.5, "< 0.5 MP"), (0.5, 2.0, "0.5-2 MP"), (2.0, float("inf"), "> 2 MP"))

_spec = importlib.util.spec_from_file_location("score", EVAL / "score.py")
score = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(score)


class Server:
    """One system in its own process, answering one image at a time."""

    def __init__(self, system: str, threads: int):
        python = OUR_PYTHON if system.startswith("ours") else PEER_PYTHON
        env = {**os.environ, "OMP_NUM_THREADS": str(threads), "OMP_THREAD_LIMIT": str(threads)}
        system, _, checkout = system.partition("@")  # ours@DIR: the engine of another checkout (a change's base)
        root = Path(checkout).resolve() if checkout else ROOT
        if checkout:
            env["PYTHONPATH"] = str(root)
        self.process = subprocess.Popen(
            [str(python), str(root / "bench" / "systems.py"), system, "--serve", "--threads", str(threads)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=env, text=True, encoding="utf-8", cwd=root,
        )
        ready = self._answer()
        self.version, self.has_recogniser = ready["version"], ready["recogniser"]

    def read(self, path: Path, kind: str) -> dict:
        self.process.stdin.write(json.dumps({"file": str(path), "kind": kind}) + "\n")
        self.process.stdin.flush()
        return self._answer()

    def _answer(self) -> dict:
        line = self.process.stdout.readline()
        if not line:
            raise RuntimeError(f"the server exited with {self.process.wait()}")
        return json.loads(line)

    def close(self) -> None:
        self.process.stdin.close()
        self.process.wait(timeout=60)


def megapixels(path: Path) -> float:
    with Image.open(path) as image:
        return image.width * image.height / 1e6


def interleave(servers: dict[str, Server], files: dict[str, Path], kind: str, rounds: int, log) -> list[dict]:
    """Each file (named by its key) read by every system in turn, the order flipped every
    file and round; each system's fastest read kept, and its first text."""
    names = list(servers)
    rows = []
    for i, (file, path) in enumerate(files.items()):
        row = {"file": file, "megapixels": megapixels(path), "seconds": {}, "text": {}}
        for r in range(rounds):
            order = names if (i + r) % 2 == 0 else names[::-1]
            for name in order:
                answer = servers[name].read(path, kind)
                row["seconds"][name] = min(answer["seconds"], row["seconds"].get(name, float("inf")))
                row["text"].setdefault(name, answer["text"])
        rows.append(row)
        log(f"{kind} {i + 1}: {file} " + " ".join(f"{n} {s:.3f}s" for n, s in row["seconds"].items()))
    return rows


def run_set(servers: dict[str, Server], set_name: str, rounds: int, log, recogniser: bool = False) -> list[dict]:
    files = {str(path.relative_to(EVAL)): path for path in eval_files(set_name)}
    return interleave(servers, files, "recogniser" if recogniser else set_name.rstrip("s"), rounds, log)


def timings(rows: list[dict], a: str, b: str) -> dict:
    """A's and B's summed seconds over `rows`, the ratio of the sums, the median and the
    largest per-file ratio (A / B: below 1, A is faster)."""
    if not rows:
        return {"images": 0}
    sum_a = sum(r["seconds"][a] for r in rows)
    sum_b = sum(r["seconds"][b] for r in rows)
    return {
        "images": len(rows),
        "sum_a_s": sum_a,
        "sum_b_s": sum_b,
        "ratio_of_sums": sum_a / sum_b,
        "median_ratio": statistics.median(r["seconds"][a] / r["seconds"][b] for r in rows),
        "max_ratio": max(r["seconds"][a] / r["seconds"][b] for r in rows),
    }


def by_bucket(rows: list[dict], a: str, b: str) -> dict:
    return {label: timings([r for r in rows if low <= r["megapixels"] < high], a, b) for low, high, label in BUCKETS}


def summarise(rows: list[dict], a: str, b: str) -> dict:
    labels = {str((EVAL / r["file"]).resolve()): r["text"]
              for r in map(json.loads, (EVAL / "labels.jsonl").read_text(encoding="utf-8").splitlines()) if r}
    scores = {name: score.score([(labels[str((EVAL / r["file"]).resolve())], r["text"][name]) for r in rows])
              for name in (a, b)}
    return {"all": timings(rows, a, b), "buckets": by_bucket(rows, a, b), "scores": scores}


def markdown(report: dict, details: bool = True) -> str:
    a, b = report["a"], report["b"]
    out = [f"# Interleaved A/B: {a} vs {b}", "",
           f"`{report['command']}`", "",
           f"{report['when']}, {report['machine']}, {report['threads']} thread(s), {report['rounds']} rounds "
           "(order flipped every image and round; fastest read kept).", "",
           f"- A: {a}: {report['versions'][a]}", f"- B: {b}: {report['versions'][b]}", ""]
    for set_name, result in report["sets"].items():
        out += [f"## {set_name}", "",
                "| bucket | images | A s | B s | A/B sum | A/B median | A/B worst |", "|---|---|---|---|---|---|---|"]
        for label, g in [*result["summary"]["buckets"].items(), ("all", result["summary"]["all"])]:
            if g["images"]:
                out.append(f"| {label} | {g['images']} | {g['sum_a_s']:.2f} | {g['sum_b_s']:.2f} | "
                           f"{g['ratio_of_sums']:.2f} | {g['median_ratio']:.2f} | {g['max_ratio']:.2f} |")
        out += ["", "| system | exact | CER | char F1 |", "|---|---|---|---|"]
        for name, s in result["summary"]["scores"].items():
            out.append(f"| {name} | {s['exact']:.4f} | {s['cer']:.4f} | {s['char_f1']:.4f} |")
        if not details:
            continue
        out += ["", "<details><summary>per image</summary>", "",
                "| file | MP | A s | B s | A/B |", "|---|---|---|---|---|"]
        for r in result["rows"]:
            out.append(f"| {r['file']} | {r['megapixels']:.2f} | {r['seconds'][a]:.3f} | {r['seconds'][b]:.3f} | "
                       f"{r['seconds'][a] / r['seconds'][b]:.2f} |")
        out += ["", "</details>", ""]
    return "\n".join(out)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--a", default="ours", help="system A (bench/systems.py names; ours[:PACK][@CHECKOUT])")
    parser.add_argument("--b", default="rapidocr-v4", help="system B")
    parser.add_argument("--sets", nargs="+", choices=["lines", "pages"], default=["lines", "pages"])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--recogniser", action="store_true",
                        help="lines only: time the recogniser alone (the line decoded before the clock starts)")
    parser.add_argument("--out", type=Path, help="results path without suffix (default bench/results/<date>-ab-A-vs-B)")
    parser.add_argument("--label", default="", help="appended to the default file name (e.g. a setting tried)")
    args = parser.parse_args()
    if args.a == args.b:
        parser.error("A and B must differ")
    if args.recogniser and args.sets != ["lines"]:
        parser.error("--recogniser reads lines: use it with --sets lines")

    def log(message: str) -> None:
        print(message, file=sys.stderr, flush=True)

    servers = {args.a: Server(args.a, args.threads), args.b: Server(args.b, args.threads)}
    try:
        lacking = [name for name, server in servers.items() if not server.has_recogniser]
        if args.recogniser and lacking:
            parser.error(f"{', '.join(lacking)} has no recogniser to call alone")
        report = {
            "command": " ".join(["bench/ab.py", *sys.argv[1:]]),
            "settings": {k: v for k, v in os.environ.items() if k.startswith("OCR_")},
            "when": dt.datetime.now().isoformat(timespec="seconds"),
            "machine": f"{platform.node()} {platform.machine()} {os.cpu_count()} cores",
            "threads": args.threads,
            "rounds": args.rounds,
            "recogniser_alone": args.recogniser,
            "a": args.a,
            "b": args.b,
            "versions": {name: server.version for name, server in servers.items()},
            "sets": {},
        }
        for set_name in args.sets:
            rows = run_set(servers, set_name, args.rounds, log, args.recogniser)
            key = f"{set_name} (recogniser alone)" if args.recogniser else set_name
            report["sets"][key] = {"summary": summarise(rows, args.a, args.b), "rows": rows}
    finally:
        for server in servers.values():
            server.close()

    if report["settings"]:
        report["command"] = " ".join(f"{k}={v}" for k, v in report["settings"].items()) + " " + report["command"]
    def short(system: str) -> str:  # ours@../base -> ours@base
        name, at, checkout = system.partition("@")
        return name + at + Path(checkout).name

    name = (f"{dt.date.today()}-ab-{short(args.a)}-vs-{short(args.b)}".replace(":", "_")
            + ("-recogniser" if args.recogniser else "") + (f"-{args.label}" if args.label else ""))
    out = args.out or ROOT / "bench" / "results" / name
    Path(f"{out}.json").write_text(json.dumps(report, ensure_ascii=False, indent=1), encoding="utf-8")
    Path(f"{out}.md").write_text(markdown(report), encoding="utf-8")
    print(markdown(report, details=False))
    log(f"wrote {out}.json and .md")


if __name__ == "__main__":
    main()
