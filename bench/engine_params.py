"""One engine setting changed, scored on an eval set: how the tuning was measured.

    .venv/bin/python bench/engine_params.py --set pages tile_pixels=262144 max_width_growth=1.5
    .venv/bin/python bench/engine_params.py --set lines min_width=320
    .venv/bin/python bench/engine_params.py --set pages --det build/packs/ppocr-v6-int8-static/det.onnx
    .venv/bin/python bench/engine_params.py --eval build/held-out-pages max_side=1280

NAME=VALUE overrides a field of DetectorParams, RecognizerParams or, with a cascade's pack, of
its RereadRule (ocr_engine.detect, ocr_engine.recognize; e.g. weakest_frame=0.6,
second_look_shift=0.5); --det/--rec swap in another model file; --eval reads another folder
laid out as ../shared/eval (bench/held_out_pages.py writes one). Prints seconds per image, per
stage, the process's peak RSS and ../shared/eval/score.py's scores, as one JSON line."""

import argparse
import dataclasses
import importlib.util
import json
import resource
import sys
import time
from pathlib import Path

from ocr_engine import OcrEngine, Settings
from ocr_engine.detect import TextDetector
from ocr_engine.recognize import TextRecognizer
from ocr_engine.runtime import create_session

sys.path.insert(0, str(Path(__file__).parent))
from systems import EVAL  # noqa: E402

_spec = importlib.util.spec_from_file_location("score", EVAL / "score.py")
score = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(score)


def with_overrides(params, overrides: dict[str, str]):
    names = {f.name: f.type for f in dataclasses.fields(params)}
    chosen = {k: (float(v) if names[k] == "float" else int(v)) for k, v in overrides.items() if k in names}
    return dataclasses.replace(params, **chosen), chosen


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--set", choices=["lines", "pages"], default="pages")
    parser.add_argument("--eval", type=Path, default=EVAL, help="a folder laid out as ../shared/eval")
    parser.add_argument("--det", help="another detector model file")
    parser.add_argument("--rec", help="another recogniser model file")
    parser.add_argument("overrides", nargs="*", metavar="NAME=VALUE")
    args = parser.parse_args()
    overrides = dict(item.split("=", 1) for item in args.overrides)

    engine = OcrEngine(settings=Settings.from_env(threads=1))
    if args.det:
        engine.detector = TextDetector(create_session(Path(args.det), 1), engine.detector.params)
    if args.rec:
        engine.recognizer = TextRecognizer(create_session(Path(args.rec), 1), engine.pack.charset,
                                           engine.recognizer.params, engine.recognizer.fallback,
                                           engine.recognizer.reread_rule)  # a cascade's fallback kept
    engine.detector.params, det_changed = with_overrides(engine.detector.params, overrides)
    engine.recognizer.params, rec_changed = with_overrides(engine.recognizer.params, overrides)
    rule_changed: dict = {}
    if engine.recognizer.reread_rule:  # a cascade's: confidence=, weakest_frame=
        engine.recognizer.reread_rule, rule_changed = with_overrides(engine.recognizer.reread_rule, overrides)
    unknown = set(overrides) - set(det_changed) - set(rec_changed) - set(rule_changed)
    if unknown:
        parser.error(f"not a detector, recogniser or reread rule parameter: {', '.join(sorted(unknown))}")

    rows = [json.loads(line) for line in (args.eval / "labels.jsonl").read_text(encoding="utf-8").splitlines() if line]
    rows = [r for r in rows if r["kind"] == args.set.rstrip("s")]
    pairs, stages = [], {}
    by_kind: dict[str, dict] = {}  # held-out pages name their kind; eval files their source
    start = time.perf_counter()
    for row in rows:
        result = engine.read((args.eval / row["file"]).read_bytes(), mode=args.set.rstrip("s"))
        pairs.append((row["text"], result.text))
        kind = by_kind.setdefault(row.get("page_kind") or Path(row["file"]).name.split("_")[0],
                                  {"pairs": [], "lines": 0, "detect_s": 0.0})
        kind["pairs"].append(pairs[-1])
        kind["lines"] += len(result.lines)
        kind["detect_s"] += result.timings.get("detect", 0.0)
        for stage, seconds in result.timings.items():
            stages[stage] = stages.get(stage, 0.0) + seconds
    elapsed = time.perf_counter() - start
    print(json.dumps({
        "command": " ".join(["bench/engine_params.py", *sys.argv[1:]]),
        "set": args.set,
        "eval": str(args.eval),
        "s_per_image": round(elapsed / len(rows), 4),
        "stages_s_per_image": {k: round(v / len(rows), 4) for k, v in stages.items()},
        "peak_rss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
        **score.score(pairs),
        "by_kind": {name: {"n": len(kind["pairs"]), "lines": kind["lines"], "detect_s": round(kind["detect_s"], 2),
                           **score.score(kind["pairs"])} for name, kind in by_kind.items()},
    }))


if __name__ == "__main__":
    main()
