"""Do the seed article's preprocessing steps help these models? Line mode on the eval lines.

    .venv/bin/python bench/preprocess_variants.py

Each variant transforms the decoded line image before recognition; scored with the
eval's score.py."""

import importlib.util
import json
from pathlib import Path

import cv2

from ocr_engine import OcrEngine, Settings
from ocr_engine.io import open_pages

EVAL = Path(__file__).resolve().parents[1].parent / "shared" / "eval"


def gray(img):
    return cv2.cvtColor(cv2.cvtColor(img, cv2.COLOR_BGR2GRAY), cv2.COLOR_GRAY2BGR)


def equalize(img):
    return cv2.cvtColor(cv2.equalizeHist(cv2.cvtColor(img, cv2.COLOR_BGR2GRAY)), cv2.COLOR_GRAY2BGR)


def clahe(img):
    g = cv2.cvtColor(img, cv2.COLOR_BGR2GRAY)
    return cv2.cvtColor(cv2.createCLAHE(clipLimit=2.0, tileGridSize=(4, 4)).apply(g), cv2.COLOR_GRAY2BGR)


def stretch(img):
    return cv2.normalize(img, None, 0, 255, cv2.NORM_MINMAX)


def binarize(img):
    g = cv2.cvtColor(img, cv2.COLOR_BGR2GRAY)
    b = cv2.adaptiveThreshold(g, 255, cv2.ADAPTIVE_THRESH_GAUSSIAN_C, cv2.THRESH_BINARY, 11, 2)
    return cv2.cvtColor(b, cv2.COLOR_GRAY2BGR)


VARIANTS = {"none": lambda img: img, "grayscale": gray, "contrast stretch": stretch, "equalizeHist": equalize,
            "CLAHE": clahe, "adaptive binarisation": binarize}


def main():
    spec = importlib.util.spec_from_file_location("score", EVAL / "score.py")
    score = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(score)
    engine = OcrEngine(settings=Settings.from_env(threads=1))
    rows = [json.loads(line) for line in (EVAL / "labels.jsonl").read_text().splitlines() if line]
    lines = [r for r in rows if r["kind"] == "line"]
    images = [next(iter(open_pages(EVAL / r["file"], engine.settings))) for r in lines]
    print(f"| variant | exact | CER | char F1 |  ({engine.pack.name} {engine.pack.version}, {len(lines)} eval lines)")
    print("|---|---|---|---|")
    for name, fn in VARIANTS.items():
        pairs = [(r["text"], engine.read(fn(img), mode="line").text) for r, img in zip(lines, images)]
        s = score.score(pairs)
        print(f"| {name} | {s['exact']:.4f} | {s['cer']:.4f} | {s['char_f1']:.4f} |", flush=True)


if __name__ == "__main__":
    main()
