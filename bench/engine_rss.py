"""RSS of one engine over many calls: does memory grow with use?

    .venv/bin/python bench/engine_rss.py --kind line --calls 1000
    .venv/bin/python bench/engine_rss.py --kind page --calls 1000

Cycles through the eval images of that kind (../shared/eval), one call per image, in whole
cycles (at least --calls calls). RSS moves with the size of the image just read, so it is
compared cycle to cycle: the RSS at the end of each cycle (always after the same image)
and the peak within it."""

import argparse
import json
import math
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
    images = [(EVAL / r["file"]).read_bytes() for r in rows if r["kind"] == args.kind]
    engine = OcrEngine(settings=Settings.from_env(model_pack=args.pack, threads=args.threads))
    process = psutil.Process()
    cycles = math.ceil(args.calls / len(images))
    end_of_cycle, peak_in_cycle = [], []
    start = time.perf_counter()
    for cycle in range(1, cycles + 1):
        peak = 0.0
        for image in images:
            engine.read(image, mode=args.kind)
            peak = max(peak, process.memory_info().rss / 2**20)
        end_of_cycle.append(round(process.memory_info().rss / 2**20, 1))
        peak_in_cycle.append(round(peak, 1))
        print(f"cycle {cycle}/{cycles} ({cycle * len(images)} calls): RSS {end_of_cycle[-1]} MiB, peak {peak:.1f}",
              file=sys.stderr, flush=True)
    summary = {
        "command": " ".join(["bench/engine_rss.py", *sys.argv[1:]]),
        "pack": f"{engine.pack.name} {engine.pack.version}",
        "kind": args.kind,
        "threads": args.threads,
        "calls": cycles * len(images),
        "images_per_cycle": len(images),
        "seconds": round(time.perf_counter() - start, 1),
        "rss_mib_end_of_cycle": end_of_cycle,
        "rss_mib_peak_in_cycle": peak_in_cycle,
        "last_over_first_cycle_end": round(end_of_cycle[-1] / end_of_cycle[0], 4),
        "last_over_first_cycle_peak": round(peak_in_cycle[-1] / peak_in_cycle[0], 4),
        "host": platform.node(),
        "machine": platform.machine(),
    }
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
