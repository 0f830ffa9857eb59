"""The detector's path alone, interleaved (bench/ab.py's loop): each system reads a blank page
of every dev page's size, so no line reaches a recogniser and what is timed is decoding,
sizing, the detector's runs and its post-processing. faster-paddle has no detector-only
call; a blank page is the one way to time its detector against ours.

    bench/.venv/bin/python bench/detector_ab.py --a ours:crnn-v6t --b faster-paddle-tiny

A blank image that the detector's minimum side would upscale by more than its direct
upscale is read by ours at more scales than the same image with text (it looks for text
at its own size first, then larger), so those pages over-count our time; the report
also sums the pages read in one pass. `--min-side` and `--direct-upscale` are the
engine's `DetectorParams` defaults (this script runs in bench/.venv, without the engine).
Writes bench/results/<date>-detector-ab-<A>-vs-<B>.md."""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import tempfile
from pathlib import Path

import numpy as np
from PIL import Image

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))
from ab import Server, by_bucket, interleave, timings  # noqa: E402
from systems import EVAL  # noqa: E402


def blank_pages(folder: Path) -> dict[str, Path]:
    """A blank page of each dev page's size, by the dev page's name."""
    pages = {}
    for page in sorted((EVAL / "pages").iterdir()):
        width, height = Image.open(page).size
        blank = folder / f"{page.stem}.png"
        Image.fromarray(np.full((height, width, 3), 250, np.uint8)).save(blank)
        pages[page.name] = blank
    return pages


def read_in_one_pass(path: Path, min_side: int, direct_upscale: float) -> bool:
    with Image.open(path) as image:
        return min_side / min(image.size) <= direct_upscale


def summary_line(label: str, summary: dict) -> str:
    if not summary["images"]:
        return f"| {label} | 0 | | | | |"
    return (f"| {label} | {summary['images']} | {summary['sum_a_s']:.3f} | {summary['sum_b_s']:.3f} "
            f"| {summary['ratio_of_sums']:.2f} | {summary['median_ratio']:.2f} |")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--a", default="ours:crnn-v6t")
    parser.add_argument("--b", default="faster-paddle-tiny")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--min-side", type=int, default=736)
    parser.add_argument("--direct-upscale", type=float, default=1.3)
    args = parser.parse_args()
    a, b = args.a, args.b
    with tempfile.TemporaryDirectory() as folder:
        pages = blank_pages(Path(folder))
        one_pass = {name for name, path in pages.items() if read_in_one_pass(path, args.min_side, args.direct_upscale)}
        servers = {a: Server(a, 1), b: Server(b, 1)}
        try:
            rows = interleave(servers, pages, "page", args.rounds, lambda message: print(message, file=sys.stderr))
        finally:
            for server in servers.values():
                server.close()
    lines = [f"# The detector's path, blank pages: {a} vs {b}", "",
             f"`bench/.venv/bin/python bench/detector_ab.py --a {a} --b {b} --rounds {args.rounds}`", "",
             f"{dt.datetime.now().isoformat(timespec='seconds')}, 1 thread, "
             f"the fastest of {args.rounds} reads kept.", "",
             "| pages | images | A s | B s | A/B sum | A/B median |", "|---|---|---|---|---|---|",
             summary_line(f"read in one pass (short side >= {args.min_side} / {args.direct_upscale})",
                          timings([r for r in rows if r["file"] in one_pass], a, b)),
             summary_line("all", timings(rows, a, b)),
             *(summary_line(label, summary) for label, summary in by_bucket(rows, a, b).items()), "",
             "| blank page | one pass | A s | B s | A/B |", "|---|---|---|---|---|"]
    lines += [f"| {r['file']} | {'yes' if r['file'] in one_pass else 'no'} | {r['seconds'][a]:.3f} "
              f"| {r['seconds'][b]:.3f} | {r['seconds'][a] / r['seconds'][b]:.2f} |" for r in rows]
    out = ROOT / "bench" / "results" / f"{dt.date.today()}-detector-ab-{a.replace(':', '_')}-vs-{b}.md"
    out.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print("\n".join(lines[:12]))


if __name__ == "__main__":
    main()
