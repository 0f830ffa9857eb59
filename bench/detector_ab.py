"""The detector's path alone, interleaved: each system reads a blank page of every dev page's
size, so no line reaches a recogniser and what is timed is decoding, sizing, the detector's
runs and its post-processing. faster-paddle has no detector-only call; a blank page is the
one way to time its detector against ours.

    bench/.venv/bin/python bench/detector_ab.py --a ours:crnn-v6t --b faster-paddle-tiny

A blank image that the minimum side (736 px) would upscale by more than 1.3x is read at
more scales than the same image with text (ours looks for text at its own size first,
then larger), so those images over-count our time: compare the others.
Writes bench/results/<date>-detector-ab-<A>-vs-<B>.md."""

from __future__ import annotations

import argparse
import datetime as dt
import statistics
import sys
import tempfile
from pathlib import Path

import numpy as np
from PIL import Image

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))
from ab import Server  # noqa: E402
from systems import EVAL  # noqa: E402


def blank_pages(folder: Path) -> list[Path]:
    pages = []
    for page in sorted((EVAL / "pages").iterdir()):
        width, height = Image.open(page).size
        blank = folder / f"{page.stem}.png"
        Image.fromarray(np.full((height, width, 3), 250, np.uint8)).save(blank)
        pages.append(blank)
    return pages


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--a", default="ours:crnn-v6t")
    parser.add_argument("--b", default="faster-paddle-tiny")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    a, b = args.a, args.b
    with tempfile.TemporaryDirectory() as folder:
        pages = blank_pages(Path(folder))
        servers = {a: Server(a, 1), b: Server(b, 1)}
        fastest: dict[str, dict[str, float]] = {a: {}, b: {}}
        try:
            for round_ in range(args.rounds):
                for i, page in enumerate(pages):
                    for system in ([a, b] if (i + round_) % 2 == 0 else [b, a]):
                        seconds = servers[system].read(page, "page")["seconds"]
                        fastest[system][page.name] = min(fastest[system].get(page.name, seconds), seconds)
        finally:
            for server in servers.values():
                server.close()
    names = [page.name for page in pages]
    sum_a, sum_b = sum(fastest[a].values()), sum(fastest[b].values())
    median = statistics.median(fastest[a][n] / fastest[b][n] for n in names)
    lines = [f"# The detector's path, blank pages: {a} vs {b}", "",
             f"`bench/.venv/bin/python bench/detector_ab.py --a {a} --b {b} --rounds {args.rounds}`", "",
             f"{dt.datetime.now().isoformat(timespec='seconds')}, 1 thread, "
             f"the fastest of {args.rounds} reads kept.", "",
             f"Sum: A {sum_a:.3f} s, B {sum_b:.3f} s, A/B {sum_a / sum_b:.2f}; median A/B {median:.2f}.", "",
             "| blank page | A s | B s | A/B |", "|---|---|---|---|"]
    lines += [f"| {n} | {fastest[a][n]:.3f} | {fastest[b][n]:.3f} | {fastest[a][n] / fastest[b][n]:.2f} |"
              for n in names]
    out = ROOT / "bench" / "results" / f"{dt.date.today()}-detector-ab-{a.replace(':', '_')}-vs-{b}.md"
    out.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print("\n".join(lines[:7]))


if __name__ == "__main__":
    main()
