"""Peak RSS of one page read, ours against RapidOCR-v4, each page in a fresh process of
each system, the two run one after the other page by page (memory measured under the same
load), reported per page-size bucket; and where ours sets its peak, stage by stage.

    .venv/bin/python bench/page_rss.py --repeats 3 --out bench/results/DATE-memory.json

A child loads its system, reads one page and reports its own high-water RSS (ru_maxrss)
after loading and after the page, and the text (scored by ../shared/eval/score.py); each
page is read `--repeats` times by each system, taking turns, and the median peak kept (the
same page's peak moves by tens of MiB from run to run). Per bucket also: one process per
system reading all the bucket's pages (the whole-process peak, as bench/systems.py). For
ours, every stage's call (decode, detect, classify, recognise, ...) is wrapped to record
how far that call raised the high-water mark: the stage that raised it last holds the
peak. Ours runs in this project's .venv, RapidOCR-v4 (rapidocr_onnxruntime 1.4.4) in
bench/.venv, as bench/systems.py runs them."""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
EVAL = ROOT.parent / "shared" / "eval"
PYTHONS = {"ours": ROOT / ".venv" / "bin" / "python", "rapidocr-v4": ROOT / "bench" / ".venv" / "bin" / "python"}
BUCKETS = (("< 0.5 MP", 0, 0.5e6), ("0.5-2 MP", 0.5e6, 2e6), ("> 2 MP", 2e6, float("inf")))


def high_water_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def child(system: str, paths: list[Path], threads: int) -> dict:
    """Load `system`, read `paths` in order as pages: its high-water RSS after loading and
    at the end, the texts, and (ours) how far each stage raised the high-water mark."""
    stages: dict[str, float] = {}
    if system == "ours":
        from ocr_engine import OcrEngine, Settings

        engine = OcrEngine(settings=Settings.from_env(threads=threads))
        for owner, method, stage in ((engine.detector, "detect", "detect"),
                                     (engine.classifier, "upside_down", "classify"),
                                     (engine.recognizer, "read", "recognise")):
            _watch(owner, method, stage, stages)
        import ocr_engine.engine as pipeline

        opened = pipeline.open_pages

        def open_pages(*args, **kwargs):
            pages = opened(*args, **kwargs)
            images = pages._iterator

            def decoded():
                while True:
                    before = high_water_mib()
                    try:
                        image = next(images)
                    except StopIteration:
                        return
                    stages["decode"] = stages.get("decode", 0.0) + high_water_mib() - before
                    yield image

            pages._iterator = decoded()
            return pages

        pipeline.open_pages = open_pages  # type: ignore[assignment]
        loaded = high_water_mib()
        texts = [engine.read(path, mode="page").text for path in paths]
    else:
        from rapidocr_onnxruntime import RapidOCR

        engine = RapidOCR(intra_op_num_threads=threads, inter_op_num_threads=1)
        loaded = high_water_mib()
        texts = []
        for path in paths:
            result, _ = engine(str(path))
            texts.append("\n".join(item[1] for item in result or []))
    return {"loaded_mib": round(loaded, 1), "peak_mib": round(high_water_mib(), 1), "texts": texts,
            "stages_mib": {k: round(v, 1) for k, v in stages.items()}}


def _watch(owner, method: str, stage: str, stages: dict[str, float]) -> None:
    call = getattr(owner, method)

    def watched(*args, **kwargs):
        before = high_water_mib()
        try:
            return call(*args, **kwargs)
        finally:
            stages[stage] = stages.get(stage, 0.0) + high_water_mib() - before

    setattr(owner, method, watched)


def pages() -> list[dict]:
    from PIL import Image

    rows = [json.loads(line) for line in (EVAL / "labels.jsonl").read_text(encoding="utf-8").splitlines() if line]
    found = []
    for row in rows:
        if row["kind"] == "page":
            with Image.open(EVAL / row["file"]) as image:
                found.append({**row, "pixels": image.size[0] * image.size[1]})
    return found


def run_child(system: str, paths: list[Path], threads: int) -> dict:
    done = subprocess.run([str(PYTHONS[system]), __file__, "--child", system, *map(str, paths),
                           "--threads", str(threads)], capture_output=True, text=True, cwd=ROOT, timeout=1800,
                          env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin", "OCR_THREADS": str(threads)})
    if done.returncode:
        raise RuntimeError(f"{system} on {paths[0].name}...: {done.stderr[-2000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def measured_page(page: dict, threads: int, repeats: int, first: str) -> dict:
    """Each system `repeats` times on the page, each in a fresh process, taking turns
    (`first` starts); the median peak, and the stages of the run with the median peak."""
    runs: dict[str, list[dict]] = {s: [] for s in PYTHONS}
    order = [first, *(s for s in PYTHONS if s != first)]
    for _ in range(repeats):
        for system in order:
            runs[system].append(run_child(system, [EVAL / page["file"]], threads))
    out = {}
    for system, found in runs.items():
        found.sort(key=lambda run: run["peak_mib"])
        middle = found[len(found) // 2]
        out[system] = {"peak_mib": middle["peak_mib"], "peaks_mib": [run["peak_mib"] for run in found],
                       "loaded_mib": middle["loaded_mib"], "stages_mib": middle["stages_mib"],
                       "text": middle["texts"][0]}
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--child", choices=list(PYTHONS))
    parser.add_argument("files", nargs="*", type=Path, help="(--child) the pages to read")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--repeats", type=int, default=3, help="fresh processes per page and system")
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args.child, args.files, args.threads), ensure_ascii=False))
        return
    sys.path.insert(0, str(EVAL))
    from score import score  # ../shared/eval/score.py: the one scoring rule

    rows, truths, started = [], {}, time.time()
    for number, page in enumerate(pages()):
        # alternate which system goes first: neither always meets the machine warmer
        measured = measured_page(page, args.threads, args.repeats, list(PYTHONS)[number % 2])
        truths[page["file"]] = page["text"]  # scored here, never written out: the eval's labels stay in ../shared
        rows.append({"file": page["file"], "pixels": page["pixels"], **measured})
        ours, peer = measured["ours"], measured["rapidocr-v4"]
        print(f"{page['file']}: ours {ours['peak_mib']} MiB (stages {ours['stages_mib']}), rapidocr-v4 "
              f"{peer['peak_mib']} MiB: {ours['peak_mib'] / peer['peak_mib']:.2f}x", file=sys.stderr, flush=True)
    summary = {"command": " ".join([".venv/bin/python bench/page_rss.py", *sys.argv[1:]]), "threads": args.threads,
               "seconds": round(time.time() - started), "buckets": {}, "pages": rows}
    for name, low, high in (*BUCKETS, ("all pages", 0, float("inf"))):
        chosen = [r for r in rows if low <= r["pixels"] < high]
        if not chosen:
            continue
        peak = {s: [r[s]["peak_mib"] for r in chosen] for s in PYTHONS}
        # and the whole process over the bucket's pages, as bench/systems.py measures a set
        whole = {s: run_child(s, [EVAL / r["file"] for r in chosen], args.threads)["peak_mib"] for s in PYTHONS}
        summary["buckets"][name] = {
            "pages": len(chosen),
            "ours_process_peak_mib": whole["ours"], "rapidocr_v4_process_peak_mib": whole["rapidocr-v4"],
            "ratio_process": round(whole["ours"] / whole["rapidocr-v4"], 3),
            "ours_peak_mib_max": max(peak["ours"]), "rapidocr_v4_peak_mib_max": max(peak["rapidocr-v4"]),
            "ours_peak_mib_median": statistics.median(peak["ours"]),
            "rapidocr_v4_peak_mib_median": statistics.median(peak["rapidocr-v4"]),
            "ratio_of_max": round(max(peak["ours"]) / max(peak["rapidocr-v4"]), 3),
            "ratio_median": round(statistics.median(o / p for o, p in zip(peak["ours"], peak["rapidocr-v4"])), 3),
            "char_f1": {s: score([(truths[r["file"]], r[s]["text"]) for r in chosen])["char_f1"] for s in PYTHONS},
        }
    text = json.dumps(summary, ensure_ascii=False)
    if args.out:
        args.out.write_text(text, encoding="utf-8")
    print(json.dumps(summary["buckets"], indent=1))


if __name__ == "__main__":
    main()
