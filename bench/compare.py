"""Our engine against the peers on ../shared/eval, in one run on one machine.

    bench/run [--threads 1 2] [--systems ...] [--sets lines pages]

Each (system, set, threads) is one fresh process (`bench/systems.py`): cold start is
spawn -> first result; the set's time is measured with the models loaded once; peak RSS
is the process's own. Scores come from ../shared/eval/score.py, the one scoring rule.
Writes bench/results/<date>-<host>.json and .md and two plots next to them."""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
EVAL = ROOT.parent / "shared" / "eval"
OUR_PYTHON = ROOT / ".venv" / "bin" / "python"
PEER_PYTHON = ROOT / "bench" / ".venv" / "bin" / "python"
# (system, runs at every thread count?) Our other packs run at 1 thread only: they are
# there to compare packs and precisions, not machines.
SYSTEMS = {
    "ours": True,
    "ours:ppocr-v6": False,  # PP-OCRv6 small's recogniser alone: the default until 2026-12-07
    "ours:crnn-v6t": False,  # the default's CRNN alone, without its fallback
    "ours:ppocr-v6-small": False,
    "ours:ppocr-v6-fp32": False,
    "ours:ppocr-v6-int8-static": False,
    "ours:ppocr-v4": False,
    "rapidocr-v4": True,
    "rapidocr-v6": True,
    "tesseract": True,
}
STAGES = ("decode", "detect", "postprocess", "classify", "recognize")


def run_one(system: str, set_name: str, threads: int, work: Path) -> dict:
    out = work / f"{system.replace(':', '_')}-{set_name}-{threads}.json"
    python = OUR_PYTHON if system.startswith("ours") else PEER_PYTHON
    env = {**os.environ, "OMP_NUM_THREADS": str(threads)}
    spawned = dt.datetime.now().timestamp()
    subprocess.run(
        [str(python), str(ROOT / "bench" / "systems.py"), system, "--set", set_name, "--threads", str(threads),
         "--out", str(out)],
        check=True, env=env,
    )
    report = json.loads(out.read_text(encoding="utf-8"))
    predictions = work / "pred.json"
    predictions.write_text(json.dumps({"results": report["results"]}, ensure_ascii=False), encoding="utf-8")
    scored = subprocess.run(
        [str(OUR_PYTHON), str(EVAL / "score.py"), str(predictions), "--kind", set_name.rstrip("s")],
        check=True, capture_output=True, text=True,
    )
    scores = json.loads(scored.stdout)["all"]
    seconds = sorted(r["seconds"] for r in report["results"])
    n = len(seconds)
    return {
        "system": system,
        "version": report["version"],
        "set": set_name,
        "threads": threads,
        "images": n,
        "exact": scores["exact"],
        "cer": scores["cer"],
        "char_f1": scores["char_f1"],
        "s_per_image": (report["finished"] - report["ready"]) / n,
        "p50_s": statistics.median(seconds),
        "p95_s": seconds[min(n - 1, round(0.95 * (n - 1)))],
        "cold_start_s": report["first_result"] - spawned,
        "process_wall_s": report["finished"] - spawned,
        "cpu_s_per_image": report["cpu_seconds"] / n,
        "peak_rss_mib": report["peak_rss_mib"],
        "stages_s_per_image": {k: v / n for k, v in (report["stages"] or {}).items()} or None,
    }


def targets(rows: list[dict]) -> list[str]:
    """The issue's targets, as ratios within this run."""
    def row(system, set_name, threads):
        return next((r for r in rows if r["system"] == system and r["set"] == set_name and r["threads"] == threads),
                    None)

    out = []
    for threads in sorted({r["threads"] for r in rows}):
        ours, v4, v6 = (row(s, "lines", threads) for s in ("ours", "rapidocr-v4", "rapidocr-v6"))
        if ours and v4 and v6:
            ratio = ours["s_per_image"] / v4["s_per_image"]
            out.append(f"- lines, {threads} thread(s): time per line {ratio:.2f}x RapidOCR-v4's (target <= 0.5) "
                       f"{'MET' if ratio <= 0.5 else 'not met'}; exact {ours['exact']:.4f} vs RapidOCR-v6 "
                       f"{v6['exact']:.4f} {'MET' if ours['exact'] >= v6['exact'] else 'not met'}")
            cold = ours["cold_start_s"]
            out.append(f"- cold start, {threads} thread(s): process start -> first line result {cold:.2f} s "
                       f"(target <= 1.0) {'MET' if cold <= 1.0 else 'not met'}")
        ours, v4, v6 = (row(s, "pages", threads) for s in ("ours", "rapidocr-v4", "rapidocr-v6"))
        if ours and v4 and v6:
            ratio = ours["s_per_image"] / v4["s_per_image"]
            rss = ours["peak_rss_mib"] / min(v4["peak_rss_mib"], v6["peak_rss_mib"])
            best_f1 = max(v4["char_f1"], v6["char_f1"])
            out.append(f"- pages, {threads} thread(s): time per page {ratio:.2f}x RapidOCR-v4's (target <= 0.5) "
                       f"{'MET' if ratio <= 0.5 else 'not met'}; "
                       f"peak RSS {rss:.2f}x the lower RapidOCR's (target <= 0.4) "
                       f"{'MET' if rss <= 0.4 else 'not met'}; char F1 {ours['char_f1']:.4f} vs {best_f1:.4f} "
                       f"{'MET' if ours['char_f1'] >= best_f1 else 'not met'}")
    return out


def markdown(meta: dict, rows: list[dict]) -> str:
    lines = [
        f"# Peers on ../shared/eval, {meta['date']}, {meta['host']} ({meta['cpu']}, {meta['cores']} cores)",
        "",
        f"Command: `{meta['command']}`",
        "",
        "Per-image time is the set's time with models loaded once, divided by the images; p50/p95 are "
        "single calls in-process; cold start is process spawn -> first result (imports and model "
        "loading included); peak RSS is the process's own (Tesseract: its largest per-image process).",
        "",
    ]
    for set_name in ("lines", "pages"):
        chosen = [r for r in rows if r["set"] == set_name]
        if not chosen:
            continue
        lines += [f"## {set_name} ({chosen[0]['images']} images)", "",
                  "| system | threads | exact | CER | char F1 | s/image | p50 s | p95 s | CPU s/image "
                  "| cold start s | peak RSS MiB |",
                  "|---|---|---|---|---|---|---|---|---|---|---|"]
        for r in sorted(chosen, key=lambda r: (r["threads"], r["s_per_image"])):
            lines.append(
                f"| {r['system']} ({r['version']}) | {r['threads']} | {r['exact']:.4f} | {r['cer']:.4f} "
                f"| {r['char_f1']:.4f} "
                f"| {r['s_per_image']:.4f} | {r['p50_s']:.4f} | {r['p95_s']:.4f} | {r['cpu_s_per_image']:.4f} "
                f"| {r['cold_start_s']:.2f} | {r['peak_rss_mib']:.0f} |"
            )
        lines.append("")
    staged = [r for r in rows if r["stages_s_per_image"]]
    if staged:
        lines += ["## Our stages (seconds per image)", "", "| system | set | threads | " + " | ".join(STAGES) + " |",
                  "|---|---|---|" + "---|" * len(STAGES)]
        for r in staged:
            cells = " | ".join(f"{r['stages_s_per_image'].get(s, 0.0):.4f}" for s in STAGES)
            lines.append(f"| {r['system']} | {r['set']} | {r['threads']} | {cells} |")
        lines.append("")
    lines += ["## Targets (issue 4)", "", *targets(rows), ""]
    lines += ["Versions: " + "; ".join(f"{k}: {v}" for k, v in meta["versions"].items()), ""]
    return "\n".join(lines)


def plot(rows: list[dict], stem: Path) -> list[str]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    written = []
    fig, axes = plt.subplots(1, 2, figsize=(12, 4.5))
    for ax, set_name, metric in ((axes[0], "lines", "exact"), (axes[1], "pages", "char_f1")):
        for r in (r for r in rows if r["set"] == set_name):
            marker = "o" if r["threads"] == 1 else "s"
            ax.scatter(r["s_per_image"], r[metric], marker=marker,
                       color="C3" if r["system"].startswith("ours") else "C0")
            ax.annotate(f"{r['system']} ({r['threads']}t)", (r["s_per_image"], r[metric]), fontsize=7,
                        xytext=(4, 2), textcoords="offset points")
        ax.set_xscale("log")
        ax.set_xlabel("seconds per image (log)")
        ax.set_ylabel("exact match" if metric == "exact" else "character F1")
        ax.set_title(f"eval {set_name}: accuracy vs time (o 1 thread, s 2 threads)")
        ax.grid(alpha=0.3)
    fig.tight_layout()
    path = stem.with_name(stem.name + "-accuracy-vs-time.png")
    fig.savefig(path, dpi=110)
    written.append(path.name)
    plt.close(fig)

    staged = [r for r in rows if r["stages_s_per_image"]]
    if staged:
        fig, ax = plt.subplots(figsize=(10, 0.45 * len(staged) + 1.5))
        labels = [f"{r['system']} {r['set']} {r['threads']}t" for r in staged]
        left = [0.0] * len(staged)
        for k, stage in enumerate(STAGES):
            values = [r["stages_s_per_image"].get(stage, 0.0) for r in staged]
            ax.barh(labels, values, left=left, label=stage, color=f"C{k}")
            left = [a + b for a, b in zip(left, values)]
        ax.set_xscale("symlog", linthresh=0.01)
        ax.set_xlabel("seconds per image")
        ax.legend(fontsize=8)
        ax.set_title("our time per image by stage")
        fig.tight_layout()
        path = stem.with_name(stem.name + "-stages.png")
        fig.savefig(path, dpi=110)
        written.append(path.name)
        plt.close(fig)
    return written


def cpu_model() -> str:
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return platform.processor() or platform.machine()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--systems", nargs="+", default=list(SYSTEMS))
    parser.add_argument("--sets", nargs="+", choices=["lines", "pages"], default=["lines", "pages"])
    parser.add_argument("--out-dir", type=Path, default=ROOT / "bench" / "results")
    args = parser.parse_args()

    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for threads in args.threads:
            for set_name in args.sets:
                for system in args.systems:
                    if threads != args.threads[0] and not SYSTEMS.get(system, True):
                        continue
                    print(f"bench: {system} on {set_name}, {threads} thread(s)", file=sys.stderr, flush=True)
                    rows.append(run_one(system, set_name, threads, Path(tmp)))
    meta = {
        "date": dt.date.today().isoformat(),
        "host": platform.node(),
        "cpu": cpu_model(),
        "cores": os.cpu_count(),
        "command": "bench/run " + " ".join(sys.argv[1:]),
        "versions": {r["system"]: r["version"] for r in rows},
    }
    args.out_dir.mkdir(parents=True, exist_ok=True)
    stem = args.out_dir / f"{meta['date']}-{meta['host']}"
    stem.with_name(stem.name + ".json").write_text(json.dumps({"meta": meta, "rows": rows}, indent=1,
                                                              ensure_ascii=False))
    report = markdown(meta, rows)
    plots = plot(rows, stem)
    report += "\nPlots: " + ", ".join(plots) + "\n"
    stem.with_name(stem.name + ".md").write_text(report, encoding="utf-8")
    print(report)


if __name__ == "__main__":
    main()
