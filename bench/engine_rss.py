"""RSS of one engine over many calls: does memory grow with use?

    .venv/bin/python bench/engine_rss.py --kind line --calls 1000
    .venv/bin/python bench/engine_rss.py --kind page --calls 1000

Cycles through the eval images of that kind (../shared/eval), one call per image, and
prints RSS (MiB) at checkpoints and the ratio of the last to the one after 10 calls."""

import argparse
import json
import platform
import sys
import time
from pathlib import Path

import psutil

from ocr_engine import OcrEngine, Settings

EVAL = Path(__file__).resolve().parents[1].parent / "shared" / "eval"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--kind", choices=["line", "page"], default="line")
    parser.add_argument("--calls", type=int, default=1000)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--pack")
    args = parser.parse_args()
    rows = [json.loads(line) for line in (EVAL / "labels.jsonl").read_text().splitlines() if line]
    files = [EVAL / r["file"] for r in rows if r["kind"] == args.kind]
    images = [f.read_bytes() for f in files]
    engine = OcrEngine(settings=Settings.from_env(model_pack=args.pack, threads=args.threads))
    process = psutil.Process()
    checkpoints = {1, 10, 50, 100, 200, 500, args.calls} | set(range(1000, args.calls + 1, 1000))
    rss = {}
    start = time.perf_counter()
    for call in range(1, args.calls + 1):
        engine.read(images[(call - 1) % len(images)], mode=args.kind)
        if call in checkpoints:
            rss[call] = process.memory_info().rss / 2**20
            print(f"after {call:5d} calls: RSS {rss[call]:.1f} MiB", file=sys.stderr, flush=True)
    summary = {
        "command": " ".join(["bench/engine_rss.py", *sys.argv[1:]]),
        "pack": f"{engine.pack.name} {engine.pack.version}",
        "kind": args.kind,
        "threads": args.threads,
        "calls": args.calls,
        "seconds": round(time.perf_counter() - start, 1),
        "rss_mib": {k: round(v, 1) for k, v in sorted(rss.items())},
        "last_over_10": round(rss[args.calls] / rss[10], 4),
        "host": platform.node(),
        "cpu": platform.processor() or platform.machine(),
    }
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
