"""A pack's recogniser on the dev lines against the default pack's, as the engine runs it
(ONNX Runtime, one thread, one line per call): exact, CER and milliseconds per line. The
two are timed in turns, line by line, so that a busy machine slows both alike."""

from __future__ import annotations

import time
from pathlib import Path
from typing import cast

import cv2
import numpy as np

from ocr_engine.packs import DEFAULT_PACK, ModelPack, local_packs_dir
from ocr_engine.recognize import RecognizerParams, TextRecognizer
from ocr_engine.runtime import create_session

from .evaluate import DEFAULT_EVAL_DIR, _score_module, dev_lines


def recognizer(pack: ModelPack, threads: int = 1, min_width: int | None = None) -> TextRecognizer:
    rec = pack.model("rec")
    params = RecognizerParams.from_manifest({**rec.input, **({"min_width": min_width} if min_width else {})})
    return TextRecognizer(create_session(rec.path, threads), pack.charset, params)


def compare(pack_dir: Path, eval_dir: Path = DEFAULT_EVAL_DIR, repeats: int = 3,
            min_widths: list[int] | None = None) -> dict:
    lines = dev_lines(eval_dir)
    images = [cast(np.ndarray, cv2.imread(str(path), cv2.IMREAD_COLOR)) for path, _ in lines]  # the dev set's
    score = _score_module(eval_dir).score
    systems = {DEFAULT_PACK: recognizer(ModelPack.load(local_packs_dir() / DEFAULT_PACK))}
    pack = ModelPack.load(pack_dir)
    for width in min_widths or (None,):
        systems[pack.name + (f"@min_width={width}" if width else "")] = recognizer(pack, min_width=width)
    texts: dict[str, list[str]] = {name: [] for name in systems}
    seconds: dict[str, list[float]] = {name: [] for name in systems}
    for image in images:
        for name, system in systems.items():
            system.recognize([image])  # warm: the first call of a shape builds its kernels
            best = float("inf")
            for _ in range(repeats):
                start = time.perf_counter()
                ((text, _),) = system.recognize([image])
                best = min(best, time.perf_counter() - start)
            texts[name].append(text)
            seconds[name].append(best)
    results = {}
    for name in systems:
        scores = score([(truth, text) for (_, truth), text in zip(lines, texts[name])])
        comma = score([(truth, text) for (_, truth), text in zip(lines, texts[name]) if "," in truth])
        results[name] = {"exact": scores["exact"], "cer": scores["cer"], "comma_exact": comma["exact"],
                         "ms_per_line": round(1000 * float(np.mean(seconds[name])), 2),
                         "ms_median": round(1000 * float(np.median(seconds[name])), 2)}
    return results
