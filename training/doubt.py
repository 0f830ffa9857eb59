"""Fits a cascade's doubt model (ocr_engine.doubt) for a pack's first recogniser, on rendered
lines of the training world (never the held-out folders): the pack's first recogniser reads
them, each line's teacher reading (PP-OCRv6 small, cached in the shard) is what the fallback
would say, and the eval's own rule says which reading is exact.

The model is a logistic regression: the log-odds that the first reading is wrong. Where it
doubts is chosen out of fold (the even shards' lines scored by a model fitted on the odd ones,
and the other way round): the fewest re-reads from which on the cascade is as exact as with the
pack's own threshold rule (fewest_rereads). The model shipped is then fitted on every line;
with pages of the training world, its threshold is lowered until they read as well as with the
rule (training/doubt_pages.py)."""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from ocr_engine.doubt import DoubtModel, line_features
from ocr_engine.packs import ModelPack
from ocr_engine.recognize import Reading

from .data import complete_shards, load_shard
from .evaluate import DEFAULT_EVAL_DIR, _score_module
from .measure import exact_by_line, recognizer

# what the model weighs (ocr_engine.doubt.FEATURES): the first reading's confidence and weakest
# frames, how close the runner-up class comes (and, of the frames where it would change the
# text, the closest), and the line's length
FEATURES = ("narrowest_margin", "narrowest_character_margin", "strongest_runner_up", "runner_up_sum",
            "narrow_margins", "confidence", "weakest_frame", "weakest_character", "weakest_blank",
            "characters_log_probability", "characters", "doubt_sum", "narrowest_text_margin", "close_text_flips")
L2 = 1e-3  # a little ridge: the features overlap, and a flat direction must not run off


@dataclass
class ReadLines:
    """The first recogniser's readings of rendered lines, whether each is exact, and whether
    the fallback's (the shard's teacher reading) is."""

    folders: list[str]
    shards: np.ndarray  # the shard each line came from: the folds are its parity
    readings: list[Reading]
    first_exact: np.ndarray
    fallback_exact: np.ndarray


def read_lines(pack: ModelPack, folders: list[Path], shards: int, eval_dir: Path = DEFAULT_EVAL_DIR) -> ReadLines:
    """The first `shards` shards of each folder, each shard read as one batch (as a page's lines are)."""
    first = recognizer(pack, cascade=False)
    score = _score_module(eval_dir).score
    names, indices, readings, truths, teacher = [], [], [], [], []
    for folder in folders:
        for index in complete_shards(folder)[:shards]:
            samples = load_shard(folder, index)
            readings += first.read([sample.image() for sample in samples])
            truths += [sample.text for sample in samples]
            teacher += [sample.teacher for sample in samples]
            names += [folder.name] * len(samples)
            indices += [index] * len(samples)
    return ReadLines(names, np.array(indices), readings,
                     np.array(exact_by_line(score, truths, [r.text for r in readings])),
                     np.array(exact_by_line(score, truths, teacher)))


def fit_logistic(features: np.ndarray, wrong: np.ndarray, l2: float = L2) -> tuple[np.ndarray, float]:
    """Weights and bias of a logistic regression (Newton's method on standardised features,
    ridge on the weights), given back on the raw features."""
    mean, spread = features.mean(axis=0), features.std(axis=0) + 1e-9
    z = np.hstack([(features - mean) / spread, np.ones((len(features), 1))])
    w = np.zeros(z.shape[1])
    ridge = l2 * np.diag(np.r_[np.ones(len(mean)), 0.0])
    for _ in range(50):
        p = 1 / (1 + np.exp(-z @ w))
        gradient = z.T @ (p - wrong) + ridge @ w
        hessian = (z * (p * (1 - p))[:, None]).T @ z + ridge + 1e-9 * np.eye(len(w))
        step = np.linalg.solve(hessian, gradient)
        w -= step
        if np.abs(step).max() < 1e-8:
            break
    weights = w[:-1] / spread
    return weights, float(w[-1] - weights @ mean)


def fewest_rereads(log_odds: np.ndarray, first_exact: np.ndarray, fallback_exact: np.ndarray,
                   baseline_doubted: np.ndarray, groups: np.ndarray) -> float:
    """The highest log-odds threshold (the fewest lines re-read, from the most doubted down) at
    which the cascade is as exact as with the baseline rule's doubts:
      - over all lines, at this count of re-reads and every larger one up to the baseline's
        (where the curve is flat, the first count that touches the target is often a lucky
        spike; one it stays above is not);
      - in every group (a kind of text), no worse than one standard error of the paired
        difference, so that no kind pays for another's gain."""
    order = np.argsort(-log_odds, kind="stable")
    first, fallback = first_exact[order].astype(int), fallback_exact[order].astype(int)
    baseline = np.where(baseline_doubted[order], fallback, first)
    # d[k, i]: line i's exact with the k + 1 most doubted re-read, minus the baseline's
    if_reread, if_kept = fallback - baseline, first - baseline

    def running(reread: np.ndarray, kept: np.ndarray, weight: np.ndarray | int = 1) -> np.ndarray:
        # the sum over the (weighted) lines of what each gives re-read or kept, by k
        return np.cumsum((reread - kept) * weight) + (kept * weight).sum()

    totals = running(if_reread, if_kept)
    up_to = int(baseline_doubted.sum())
    stays = np.flatnonzero(totals[:up_to] < 0)
    start = stays[-1] + 1 if len(stays) else 0
    fine = totals >= 0
    for group in np.unique(groups):
        in_group = (groups[order] == group).astype(int)
        n = in_group.sum()
        total, squares = running(if_reread, if_kept, in_group), running(if_reread**2, if_kept**2, in_group)
        spread = np.sqrt(np.maximum(squares / n - (total / n) ** 2, 0) / n)
        fine &= total / n >= -spread - 1e-12
    candidates = np.flatnonzero(fine[start:])
    if not len(candidates):
        raise ValueError("no threshold re-reads as well as the baseline rule in every group")
    return float(log_odds[order][start + candidates[0]])


PAGE_STEP = 0.04  # with --pages, each threshold tried re-reads this much more of the lines than the last


def fit_doubt(pack_dir: Path, folders: list[Path], shards: int, eval_dir: Path = DEFAULT_EVAL_DIR,
              pages: list[Path] | None = None, log=print) -> dict:
    """The doubt model for `pack_dir`'s first recogniser, and what it did out of fold. With
    `pages` (folders of training-world pages), its threshold is then lowered, a step of
    re-reads at a time, until the pages read as well as with the pack's rule (doubt_pages)."""
    pack = ModelPack.load(pack_dir)
    if not pack.has_fallback:
        raise ValueError(f"{pack.name} has no fallback recogniser: nothing to re-read with")
    rule = pack.reread_rule
    if rule.model is not None:
        raise ValueError(f"{pack.name} re-reads by a doubt model: fit against a threshold rule's pack "
                         "(ocr pack build crnn-v6t-thresholds)")
    lines = read_lines(pack, folders, shards, eval_dir)
    frames = [r.frames for r in lines.readings]
    features = np.stack([line_features(f, FEATURES) for f in frames if f is not None])
    if len(features) != len(frames):
        raise ValueError("the first reader kept no frames (measure.recognizer with cascade=False keeps them)")
    wrong = (~lines.first_exact).astype(float)
    even = lines.shards % 2 == 0
    # each half's lines scored by the model fitted on the other half: out of fold, so the
    # threshold is chosen on scores no line helped to fit, from all the lines at once
    out_of_fold = np.empty(len(wrong))
    for half in (even, ~even):
        weights, bias = fit_logistic(features[~half], wrong[~half])
        out_of_fold[half] = features[half] @ weights + bias
    by_rule = np.array([rule.doubts(r) for r in lines.readings])
    first, fallback = lines.first_exact, lines.fallback_exact
    threshold = fewest_rereads(out_of_fold, first, fallback, by_rule, np.array(lines.folders))
    weights, bias = fit_logistic(features, wrong)  # the model shipped: fitted on every line
    model = DoubtModel(FEATURES, tuple(round(float(w), 6) for w in weights), round(bias, 6), round(threshold, 6))
    on_pages = None
    if pages:
        from .doubt_pages import choose_on_pages

        shares = np.arange((out_of_fold >= threshold).mean(), by_rule.mean(), PAGE_STEP)
        candidates = [threshold] + [round(float(np.quantile(out_of_fold, 1 - share)), 6) for share in shares[1:]]
        on_pages = choose_on_pages(pack_dir, model, candidates, pages, eval_dir, log)
        if on_pages["chosen"] is None:
            raise ValueError(f"no threshold re-reading fewer lines than the rule reads the pages as well: {on_pages}")
        model = replace(model, threshold=on_pages["chosen"])
    by_model = out_of_fold >= model.threshold

    def report(mask: np.ndarray) -> dict:
        return {"lines": int(mask.sum()), "first_exact": round(float(first[mask].mean()), 4),
                **{name: {"reread": round(float(doubted[mask].mean()), 4),
                          "exact": round(float(np.where(doubted, fallback, first)[mask].mean()), 4)}
                   for name, doubted in (("rule", by_rule), ("model", by_model))}}
    names = np.array(lines.folders)
    return {"model": model.to_manifest(),
            "pack": {"name": pack.name, "version": pack.version, "rec_sha256": pack.manifest["source"].get("sha256")},
            "baseline_rule": {"confidence_below": rule.confidence, "weakest_frame_below": rule.weakest_frame},
            "data": {"folders": [str(f) for f in folders], "shards_each": shards,
                     "pages": [str(f) for f in pages or []]},
            **({"pages": on_pages} if on_pages else {}),
            "out_of_fold": report(np.ones(len(wrong), bool)),
            "out_of_fold_by_folder": {name: report(names == name) for name in dict.fromkeys(lines.folders)}}
