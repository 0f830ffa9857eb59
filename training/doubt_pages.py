"""Where a doubt model doubts, chosen on whole pages of the training world
(bench/held_out_pages.py --world training) rather than on single lines: a page is exact only
if every one of its lines is, so a loss too small to see on lines costs whole pages, and the
detector's crops are not the renderer's clean strips (training/MANIFEST, "Doubt model").

The engine reads the pages with the pack's threshold rule, then with the model at falling
thresholds (more lines re-read each time); the first threshold at which every folder's pages
are read as well as with the rule, char F1 and page exact both, is the one shipped."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

from ocr_engine.doubt import DoubtModel
from ocr_engine.engine import OcrEngine
from ocr_engine.packs import ModelPack
from ocr_engine.recognize import RereadRule
from ocr_engine.settings import Settings

from .evaluate import DEFAULT_EVAL_DIR, _score_module


def read_pages(engine: OcrEngine, folder: Path, score) -> dict:
    """The engine's page reading of each page in `folder` (laid out as ../shared/eval), scored."""
    rows = [json.loads(line) for line in (folder / "labels.jsonl").read_text(encoding="utf-8").splitlines() if line]
    pairs = [(row["text"], engine.read((folder / row["file"]).read_bytes(), mode="page").text)
             for row in rows if row["kind"] == "page"]
    scores = score(pairs)
    return {"pages": len(pairs), "char_f1": round(scores["char_f1"], 4), "page_exact": round(scores["exact"], 4)}


def at_least_as_good(candidate: dict, baseline: dict) -> bool:
    return all(candidate[folder]["char_f1"] >= baseline[folder]["char_f1"]
               and candidate[folder]["page_exact"] >= baseline[folder]["page_exact"] for folder in baseline)


def choose_on_pages(pack_dir: Path, model: DoubtModel, thresholds: list[float], folders: list[Path],
                    eval_dir: Path = DEFAULT_EVAL_DIR, log=print, threads: int = 2) -> dict:
    """The highest of `thresholds` (tried from the highest down) at which the pack's cascade,
    `model` doubting, reads every folder's pages as well as with the pack's own rule."""
    pack = ModelPack.load(pack_dir)
    engine = OcrEngine(pack=pack, settings=Settings.from_env(threads=threads))
    rule: RereadRule | None = engine.recognizer.reread_rule
    if rule is None:
        raise ValueError(f"{pack.name} has no cascade to choose for")
    score = _score_module(eval_dir).score
    baseline = {folder.name: read_pages(engine, folder, score) for folder in folders}
    log(f"threshold rule: {baseline}")
    engine.recognizer.keeps_frames = True
    tried = []
    for threshold in sorted(thresholds, reverse=True):
        engine.recognizer.reread_rule = replace(rule, model=replace(model, threshold=threshold))
        pages = {folder.name: read_pages(engine, folder, score) for folder in folders}
        tried.append({"threshold": threshold, **pages})
        log(f"doubt at log-odds {threshold:.3f}: {pages}")
        if at_least_as_good(pages, baseline):
            return {"baseline": baseline, "tried": tried, "chosen": threshold}
    return {"baseline": baseline, "tried": tried, "chosen": None}
