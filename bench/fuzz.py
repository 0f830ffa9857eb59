"""A longer run of the CI fuzzer's mutations (testkit/mutations.py) over more seeds:
every mutated file must decode or fail with a typed OcrError.

    .venv/bin/python bench/fuzz.py --seed 2026 --mutations 30000 --pdf-mutations 1500 [--crashes DIR]

Per seed file, `--mutations` mutations (`--pdf-mutations` for PDFs: each starts a renderer
process). Prints a Markdown report: outcomes per seed and code, anything that escaped
(its input saved under --crashes to reproduce it), the slowest inputs, and RSS."""

from __future__ import annotations

import argparse
import collections
import hashlib
import json
import random
import sys
import time
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from ocr_engine import Settings  # noqa: E402
from testkit.mutations import more_seeds, mutate, outcome  # noqa: E402

SLOW_S = 2.0  # report inputs that take longer than this to decode


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seed", default="2026", help="the random seed (each seed file draws from seed + its name)")
    parser.add_argument("--mutations", type=int, default=30_000, help="mutations per image seed file")
    parser.add_argument("--pdf-mutations", type=int, default=1_500, help="mutations per PDF seed file")
    parser.add_argument("--only", nargs="*", help="seed names to run (default: all)")
    parser.add_argument("--crashes", type=Path, default=Path("/tmp/ocr-fuzz-crashes"),
                        help="where inputs that escaped are saved")
    parser.add_argument("--json", type=Path, help="also write the figures as JSON here")
    args = parser.parse_args()

    settings = Settings.from_env({})
    process = psutil.Process()
    rss_start = process.memory_info().rss
    counts: dict[str, collections.Counter] = {}
    escaped: list[dict] = []
    slowest: list[tuple[float, str, str]] = []
    started = time.monotonic()
    for name, seed in more_seeds().items():
        if args.only and name not in args.only:
            continue
        rng = random.Random(f"{args.seed}-{name}")
        count = args.pdf_mutations if name.startswith("pdf") else args.mutations
        counts[name] = collections.Counter()
        seed_started = time.monotonic()
        for _ in range(count):
            data = mutate(seed, rng)
            began = time.perf_counter()
            try:
                code = outcome(data, settings)
            except Exception as exc:  # noqa: BLE001 - what the run looks for
                code = f"ESCAPED {type(exc).__name__}"
                escaped.append(_save(args.crashes, name, data, exc))
            took = time.perf_counter() - began
            counts[name][code] += 1
            if took > SLOW_S:
                slowest.append((took, name, code))
        print(f"{name}: {count} in {time.monotonic() - seed_started:.0f} s: {dict(counts[name].most_common())}",
              file=sys.stderr, flush=True)
    elapsed = time.monotonic() - started
    figures = {
        "command": "bench/fuzz.py " + " ".join(sys.argv[1:]),
        "mutations": sum(sum(c.values()) for c in counts.values()),
        "seconds": round(elapsed),
        "outcomes": {name: dict(c.most_common()) for name, c in counts.items()},
        "escaped": escaped,
        "slowest": [{"seconds": round(t, 2), "seed": n, "outcome": c}
                    for t, n, c in sorted(slowest, reverse=True)[:10]],
        "rss_mib": {"start": rss_start >> 20, "end": process.memory_info().rss >> 20},
    }
    print(report(figures))
    if args.json:
        args.json.write_text(json.dumps(figures, indent=1) + "\n")


def _save(folder: Path, name: str, data: bytes, exc: BaseException) -> dict:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}-{hashlib.sha256(data).hexdigest()[:12]}.bin"
    path.write_bytes(data)
    return {"seed": name, "error": f"{type(exc).__name__}: {exc}"[:300], "input": str(path)}


def report(figures: dict) -> str:
    codes = sorted({code for c in figures["outcomes"].values() for code in c})
    lines = [f"Command: `.venv/bin/python {figures['command']}`", "",
             f"{figures['mutations']:,} mutated files in {figures['seconds']} s; "
             f"{len(figures['escaped'])} escaped a typed error; RSS {figures['rss_mib']['start']} -> "
             f"{figures['rss_mib']['end']} MiB.", "",
             "| seed | " + " | ".join(codes) + " |", "|---|" + "---|" * len(codes)]
    for name, outcomes in figures["outcomes"].items():
        lines.append(f"| {name} | " + " | ".join(f"{outcomes.get(code, 0):,}" for code in codes) + " |")
    totals = collections.Counter()
    for outcomes in figures["outcomes"].values():
        totals.update(outcomes)
    lines.append("| **all** | " + " | ".join(f"**{totals[code]:,}**" for code in codes) + " |")
    if figures["escaped"]:
        lines += ["", "Escaped:"] + [f"- {e['seed']}: {e['error']} (`{e['input']}`)" for e in figures["escaped"][:20]]
    if figures["slowest"]:
        lines += ["", f"Slowest (over {SLOW_S} s):"] + [f"- {s['seed']}: {s['seconds']} s -> {s['outcome']}"
                                                        for s in figures["slowest"]]
    return "\n".join(lines)


if __name__ == "__main__":
    main()
