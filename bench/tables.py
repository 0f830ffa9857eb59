"""The tables stage measured: TEDS on real tables (PubTabNet), cell accuracy on drawn tables
of every kind, and the time the stage adds per page.

    .venv/bin/python bench/tables.py pubtabnet --data /tmp/pubtabnet [--rebuild-from MIRROR] [--scale 2]
    .venv/bin/python bench/tables.py drawn
    .venv/bin/python bench/tables.py timing [--pages 8]

`pubtabnet` reads the tables of PubTabNet's own repository (github.com/ibm-aur-nlp/PubTabNet,
CDLA-Permissive): its ICDAR mini validation set (ICDAR_SLR_competition/val_mini.zip, 20
images; ground truth in src/sample_gt.json) and its 20 examples (examples/*.png and
PubTabNet_Examples.jsonl, training split). The data stays out of this repository: `--data`
is a folder made by `--rebuild-from MIRROR` (a clone of that repository; `git show` reads
the files from it). Each image is read by the engine in page mode with tables=True (scaled
by `--scale` first: PubTabNet's crops have 9-pixel text); the table with the most cells is
written as HTML (first row in <thead>) and compared with the ground truth by TEDS
(Zhong et al. 2019: 1 - tree edit distance / the larger tree's nodes; a cell's rename costs
the normalised Levenshtein distance of its text, a different tag or span costs 1), with the
`apted` package's tree edit distance. TEDS-struct compares the trees without the text. The
ground truth's inline markup (<b>, <i>, <sup>, <sub>) is dropped from the text: the OCR
does not see bold.

`drawn` is the tests' tables (testkit/tables.py) in 3 fonts at 20, 28 and 36 px with each kind's share of cells
exactly right; `timing` reads the eval pages (../shared/eval) with and without tables."""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import cv2
import numpy as np

DRAWN_FONTS = ("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
               "/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc",
               "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc")
INLINE = re.compile(r"</?(b|i|sup|sub|underline|overline|strike)>")


# --- data -------------------------------------------------------------------------


def rebuild(mirror: Path, data: Path) -> None:
    """`data` from a clone of ibm-aur-nlp/PubTabNet: val/ (images + gt.json), examples/."""
    def show(path: str) -> bytes:
        return subprocess.run(["git", "-C", str(mirror), "show", f"HEAD:{path}"], check=True,
                              capture_output=True).stdout

    (data / "val").mkdir(parents=True, exist_ok=True)
    (data / "examples").mkdir(parents=True, exist_ok=True)
    (data / "val_mini.zip").write_bytes(show("ICDAR_SLR_competition/val_mini.zip"))
    with zipfile.ZipFile(data / "val_mini.zip") as archive:
        for name in archive.namelist():
            if name.endswith(".png"):
                (data / "val" / Path(name).name).write_bytes(archive.read(name))
    gt = json.loads(show("src/sample_gt.json"))
    (data / "val" / "gt.json").write_text(json.dumps({k: v["html"] for k, v in gt.items()}), encoding="utf-8")
    examples = {}
    for line in show("examples/PubTabNet_Examples.jsonl").decode().splitlines():
        record = json.loads(line)
        (data / "examples" / record["filename"]).write_bytes(show(f"examples/{record['filename']}"))
        examples[record["filename"]] = html_of_tokens(record["html"])
    (data / "examples" / "gt.json").write_text(json.dumps(examples), encoding="utf-8")


def html_of_tokens(annotation: dict) -> str:
    """PubTabNet's structure tokens with each cell's tokens put into its <td>."""
    cells = iter(annotation["cells"])
    out = []
    for token in annotation["structure"]["tokens"]:
        out.append(token)
        if token in ("<td>", ">"):
            out.append("".join(next(cells)["tokens"]))
    return "<html><body><table>" + "".join(out) + "</table></body></html>"


# --- TEDS --------------------------------------------------------------------------


class Node:
    def __init__(self, tag: str, spans: tuple[str, str] = ("1", "1"), text: str | None = None):
        self.tag, self.spans, self.text, self.children = tag, spans, text, []


def tree_of(html: str, with_text: bool) -> Node:
    from lxml import html as lxml_html

    table = lxml_html.fromstring(INLINE.sub("", html)).xpath("//table")
    root = Node("table")

    def walk(element, node: Node) -> None:
        for child in element:
            if child.tag in ("thead", "tbody", "tr"):
                walk(child, _add(node, Node(child.tag)))
            elif child.tag in ("td", "th"):
                text = " ".join(child.text_content().split()) if with_text else None
                _add(node, Node("td", (child.get("colspan", "1"), child.get("rowspan", "1")), text))

    if table:
        walk(table[0], root)
    return root


def _add(parent: Node, child: Node) -> Node:
    parent.children.append(child)
    return child


def teds(predicted: str, truth: str, with_text: bool = True) -> float:
    from apted import APTED, Config
    from rapidfuzz.distance import Levenshtein

    class Costs(Config):
        def rename(self, a: Node, b: Node) -> float:
            if a.tag != b.tag or a.spans != b.spans:
                return 1.0
            if a.text is not None and b.text is not None:
                return Levenshtein.normalized_distance(a.text, b.text)
            return 0.0

        def children(self, node: Node) -> list:
            return node.children

    ours, theirs = tree_of(predicted, with_text), tree_of(truth, with_text)

    def size(node: Node) -> int:
        return 1 + sum(size(c) for c in node.children)

    distance = APTED(ours, theirs, Costs()).compute_edit_distance()
    return 1.0 - distance / max(size(ours), size(theirs))


def html_of_table(table) -> str:
    """A table of the result as HTML, its first row the header."""
    if table is None:
        return "<table></table>"
    rows: list[list] = [[] for _ in range(table.rows)]
    for cell in sorted(table.cells, key=lambda c: (c.row, c.col)):
        spans = (f' colspan="{cell.col_span}"' if cell.col_span > 1 else "") + (
            f' rowspan="{cell.row_span}"' if cell.row_span > 1 else "")
        rows[cell.row].append(f"<td{spans}>{_escaped(cell.text.replace(chr(10), ' '))}</td>")
    body = ["<tr>" + "".join(cells) + "</tr>" for cells in rows]
    return "<table><thead>" + body[0] + "</thead><tbody>" + "".join(body[1:]) + "</tbody></table>"


def _escaped(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


# --- runs ------------------------------------------------------------------------


def run_pubtabnet(args) -> None:
    from ocr_engine import OcrEngine, Settings

    if args.rebuild_from:
        rebuild(Path(args.rebuild_from), Path(args.data))
    engine = OcrEngine(settings=Settings.from_env(threads=args.threads))
    report = {"scale": args.scale}
    for split in ("val", "examples"):
        folder = Path(args.data) / split
        truth = json.loads((folder / "gt.json").read_text(encoding="utf-8"))
        scores, structs, found, started = [], [], 0, time.perf_counter()
        for name, html in sorted(truth.items()):
            image = cv2.imread(str(folder / name))
            if args.scale != 1:
                image = cv2.resize(image, None, fx=args.scale, fy=args.scale, interpolation=cv2.INTER_CUBIC)
            page = engine.read(image, mode="page", tables=True).pages[0]
            table = max(page.tables, key=lambda t: len(t.cells), default=None)
            found += table is not None
            predicted = html_of_table(table)
            scores.append(teds(predicted, html))
            structs.append(teds(predicted, html, with_text=False))
            if args.verbose:
                print(f"{split} {name} TEDS {scores[-1]:.3f} struct {structs[-1]:.3f}", file=sys.stderr)
        report[split] = {"tables": len(truth), "found": found, "teds": round(float(np.mean(scores)), 4),
                         "teds_struct": round(float(np.mean(structs)), 4),
                         "seconds_per_table": round((time.perf_counter() - started) / len(truth), 3)}
    print(json.dumps(report, indent=1))


def run_drawn(args) -> None:
    from ocr_engine import OcrEngine, Settings
    from testkit import tables as drawn_tests  # the tests' drawn tables

    engine = OcrEngine(settings=Settings.from_env(threads=args.threads))
    kinds = {}
    drawings = [{"font_path": font, "size": size} for font in DRAWN_FONTS for size in (20, 28, 36)]
    for label, style in drawn_tests.KINDS.items():
        for drawing, (rows, merged) in ((d, t) for d in drawings for t in ((drawn_tests.EN, drawn_tests.MERGED_EN),
                                                                           (drawn_tests.ZH, drawn_tests.MERGED_ZH))):
            for kind, table in ((label, drawn_tests.DrawnTable(rows, style=style)),
                                (f"merged, {label}", drawn_tests.DrawnTable(*merged, style=style))):
                page = drawn_tests.read_drawn(engine, [table], **drawing)
                right = drawn_tests.cell_accuracy(page, [table]) * len(table.expected())
                counts = kinds.setdefault(kind, {"cells": 0, "right": 0, "structure": 0, "tables": 0})
                counts["cells"] += len(table.expected())
                counts["right"] += round(right)
                counts["tables"] += 1
                counts["structure"] += [(t.rows, t.cols) for t in page.tables] == [(len(table.rows),
                                                                                     len(table.rows[0]))]
    print(json.dumps(kinds, indent=1))


def run_timing(args) -> None:
    from ocr_engine import OcrEngine, Settings

    eval_dir = Path(__file__).resolve().parents[2] / "shared" / "eval"
    files = sorted((eval_dir / "pages").glob("*"))[: args.pages]
    engine = OcrEngine(settings=Settings.from_env(threads=args.threads))
    engine.read(str(files[0]))  # warm up
    rows = []
    for path in files:
        times = {}
        for tables in (False, True, False, True):
            started = time.perf_counter()
            result = engine.read(str(path), tables=tables)
            times.setdefault(tables, []).append(time.perf_counter() - started)
            stage = result.timings.get("tables", 0.0)
        rows.append({"file": path.name, "off_s": round(min(times[False]), 3), "on_s": round(min(times[True]), 3),
                     "stage_s": round(stage, 4), "tables": len(result.pages[0].tables)})
    print(json.dumps({"pages": rows, "mean_stage_s": round(float(np.mean([r["stage_s"] for r in rows])), 4)},
                     indent=1))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("what", choices=("pubtabnet", "drawn", "timing"))
    parser.add_argument("--data", default="/tmp/pubtabnet")
    parser.add_argument("--rebuild-from", help="a clone of github.com/ibm-aur-nlp/PubTabNet")
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--pages", type=int, default=8)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--verbose", action="store_true")
    args = parser.parse_args()
    {"pubtabnet": run_pubtabnet, "drawn": run_drawn, "timing": run_timing}[args.what](args)


if __name__ == "__main__":
    main()
