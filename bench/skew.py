"""Pages turned 12-18 degrees each way, read in auto mode: page CER against the same page's
upright reading (../shared/eval's score). Usage: python bench/skew.py"""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

import cv2
import numpy as np
from PIL import Image

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from ocr_engine.engine import OcrEngine  # noqa: E402
from ocr_engine.settings import Settings  # noqa: E402

EVAL = REPO.parent / "shared" / "eval"
DEGREES = (-18, -15, -12, 12, 15, 18)


def eval_records(kind: str) -> list[dict]:
    rows = [json.loads(line) for line in (EVAL / "labels.jsonl").read_text(encoding="utf-8").splitlines() if line]
    return [row for row in rows if row["kind"] == kind]


def rotated(image: np.ndarray, degrees: float) -> np.ndarray:
    """`image` (BGR) turned counterclockwise by `degrees` on a white canvas that holds it all
    (as tests/engine/rendered_pages.rotated turns the tests' pages)."""
    pil = Image.fromarray(np.ascontiguousarray(image[:, :, ::-1]))
    turned = pil.rotate(degrees, resample=Image.BICUBIC, expand=True, fillcolor=(255, 255, 255))
    return np.ascontiguousarray(np.asarray(turned.convert("RGB"))[:, :, ::-1])


def main() -> None:
    spec = importlib.util.spec_from_file_location("eval_score", EVAL / "score.py")
    assert spec and spec.loader
    scoring = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(scoring)
    engine = OcrEngine(settings=Settings.from_env(threads=1))
    print("| page | " + " | ".join(f"{d}°" for d in DEGREES) + " |")
    print("|---|" + "---|" * len(DEGREES))
    for record in eval_records("page"):
        image = cv2.imread(str(EVAL / record["file"]))
        upright = engine.read(image).text
        cers = [scoring.score([(upright, engine.read(rotated(image, d)).text)])["cer"] for d in DEGREES]
        print(f"| {record['file']} | " + " | ".join(f"{c:.3f}" for c in cers) + " |", flush=True)


if __name__ == "__main__":
    main()
