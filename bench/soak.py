"""Soak: the API under uvicorn (loopback, 1 worker, as scripts/serve runs it) takes a stream
of good files mixed with the hostile corpus (testkit/hostile/corpus.py), at a fixed concurrency.

    .venv/bin/python bench/soak.py [--requests 1000] [--concurrency 4] [--hostile-share 0.5] [--seed 2026]

First a baseline: only the good requests of the mix, in the same order, at the same
concurrency. Then the mix on the same server. Reported: statuses (no 5xx), hostile files
answered as the corpus expects, the server's PID unchanged and /healthz answering all along,
its RSS after the 100th and the last request of the mix, no renderer process left behind,
and p95 latency of the good requests in the mix vs the baseline. Good files: samples/ and a
few of ../shared/eval's lines and pages (read in place, never copied)."""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import httpx
import psutil

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from api_latency import free_port, percentile  # noqa: E402

from testkit.hostile.corpus import CORPUS  # noqa: E402

EVAL = ROOT.parent / "shared" / "eval"
GOOD_FILES = [ROOT / "samples" / "line.png", ROOT / "samples" / "receipt.png",
              EVAL / "lines" / "mtwi_00_00.png", EVAL / "lines" / "mtwi_00_03.png",
              EVAL / "pages" / "mtwi_00.jpg", EVAL / "pages" / "sroie_019.jpg", EVAL / "pages" / "tess_phototest.tif"]
RSS_AT = 100  # the request after which the server's RSS is first taken (the yardstick)


@dataclass(frozen=True)
class Upload:
    name: str
    data: bytes
    status: int  # what the answer must be
    good: bool


@dataclass
class Answer:
    upload: Upload
    status: int
    seconds: float
    code: str | None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=1000, help="requests in the mix")
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--hostile-share", type=float, default=0.5, help="share of hostile files in the mix")
    parser.add_argument("--seed", default="2026")
    parser.add_argument("--json", type=Path, help="also write the figures as JSON here")
    args = parser.parse_args()

    rng = random.Random(args.seed)
    good = [Upload(path.name, path.read_bytes(), 200, True) for path in GOOD_FILES]
    hostile = [Upload(h.name, h.make(), h.status, False) for h in CORPUS]
    mix = [rng.choice(hostile) if rng.random() < args.hostile_share else rng.choice(good) for _ in range(args.requests)]
    baseline_uploads = [upload for upload in mix if upload.good]

    server = Server()
    try:
        pid, created = server.process.pid, psutil.Process(server.process.pid).create_time()
        health = HealthWatch(server.url)
        limits = httpx.Limits(max_connections=args.concurrency)
        with httpx.Client(base_url=server.url, timeout=120, limits=limits) as client:
            print(f"baseline: {len(baseline_uploads)} good requests", file=sys.stderr, flush=True)
            baseline = send_all(client, baseline_uploads, args.concurrency)
            print(f"mix: {len(mix)} requests, {len(mix) - len(baseline_uploads)} hostile", file=sys.stderr, flush=True)
            rss = {}
            mixed = send_all(client, mix, args.concurrency, on_count=lambda n: _take_rss(rss, n, pid, len(mix)))
        health.stop()
        alive = server.process.poll() is None and psutil.Process(pid).create_time() == created
        renderers = [child.pid for child in psutil.Process(pid).children(recursive=True)
                     if "pdf_child" in " ".join(child.cmdline())] if alive else []
    finally:
        server.stop()
    log = server.logs()
    figures = summarize(args, baseline, mixed, rss, health, alive, renderers, log)
    print(report(figures))
    if args.json:
        args.json.write_text(json.dumps(figures, indent=1) + "\n")


def send_all(client: httpx.Client, uploads: list[Upload], concurrency: int, on_count=lambda n: None) -> list[Answer]:
    done = 0
    lock = threading.Lock()

    def send(upload: Upload) -> Answer:
        nonlocal done
        started = time.perf_counter()
        try:
            response = client.post("/api/v1/ocr", files={"image": (upload.name, upload.data)})
            status = response.status_code
            code = None if status == 200 else response.json().get("error", {}).get("code")
        except httpx.HTTPError as exc:  # no answer at all: counted apart from the statuses
            status, code = 0, type(exc).__name__
        answer = Answer(upload, status, time.perf_counter() - started, code)
        with lock:
            done += 1
            count = done
        on_count(count)
        return answer

    with ThreadPoolExecutor(max_workers=concurrency) as pool:
        return list(pool.map(send, uploads))


def _take_rss(rss: dict, count: int, pid: int, total: int) -> None:
    if count == RSS_AT or count == total or count % 100 == 0:
        rss[count] = psutil.Process(pid).memory_info().rss


class Server:
    """uvicorn as scripts/serve starts it (1 worker, no server header), on a free port."""

    def __init__(self):
        self.url = f"http://127.0.0.1:{free_port()}"
        self.log = tempfile.TemporaryFile()  # read at the end: a pipe nobody reads would block the server
        self.process = subprocess.Popen(
            [sys.executable, "-m", "uvicorn", "handler.api:app", "--host", "127.0.0.1",
             "--port", self.url.rsplit(":", 1)[1], "--workers", "1", "--no-server-header"],
            cwd=ROOT, env=dict(os.environ), stdout=subprocess.DEVNULL, stderr=self.log)
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            try:
                if httpx.get(self.url + "/healthz", timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                time.sleep(0.3)
        raise SystemExit("the server did not start")

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()

    def logs(self) -> str:
        self.log.seek(0)
        return self.log.read().decode("utf-8", "replace")


class HealthWatch:
    """/healthz once a second while the soak runs: how often it answered 200 within 5 s."""

    def __init__(self, url: str):
        self.url, self.ok, self.failed, self.slowest = url, 0, 0, 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, daemon=True)
        self._thread.start()

    def _watch(self) -> None:
        with httpx.Client(base_url=self.url, timeout=5) as client:
            while not self._stop.wait(1.0):
                started = time.perf_counter()
                try:
                    healthy = client.get("/healthz").status_code == 200
                except httpx.HTTPError:
                    healthy = False
                self.slowest = max(self.slowest, time.perf_counter() - started)
                self.ok, self.failed = (self.ok + 1, self.failed) if healthy else (self.ok, self.failed + 1)

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()


def summarize(args, baseline: list[Answer], mixed: list[Answer], rss: dict, health: HealthWatch, alive: bool,
              renderers: list[int], log: str) -> dict:
    def p95(answers: list[Answer]) -> float:
        return round(percentile([a.seconds for a in answers], 0.95), 3)

    def slowest(answers: list[Answer]) -> list[str]:
        return [f"{a.upload.name} {a.seconds:.1f} s" for a in sorted(answers, key=lambda a: -a.seconds)[:5]]

    good_mixed = [a for a in mixed if a.upload.good]
    hostile_mixed = [a for a in mixed if not a.upload.good]
    statuses: dict[str, int] = {}
    for answer in mixed:
        statuses[str(answer.status)] = statuses.get(str(answer.status), 0) + 1
    unexpected = sorted({f"{a.upload.name}: {a.status} {a.code}" for a in baseline + mixed
                         if a.status != a.upload.status})
    first, last = rss.get(RSS_AT), rss.get(len(mixed))
    return {
        "command": "bench/soak.py " + " ".join(sys.argv[1:]),
        "requests": len(mixed), "concurrency": args.concurrency, "hostile": len(hostile_mixed),
        "hostile_files": len({a.upload.name for a in hostile_mixed}),
        "baseline_requests": len(baseline),
        "statuses": dict(sorted(statuses.items())),
        "server_errors": sum(1 for a in baseline + mixed if a.status >= 500 or a.status == 0),
        "unexpected": unexpected,
        "server_alive_same_pid": alive, "renderers_left": len(renderers),
        "healthz": {"ok": health.ok, "failed": health.failed, "slowest_s": round(health.slowest, 3)},
        "rss_mib": {str(n): round(v / 2**20, 1) for n, v in sorted(rss.items())},
        "rss_change": round((last - first) / first, 4) if first and last else None,
        "good_p95_s": {"baseline": p95(baseline), "mixed": p95(good_mixed)},
        "good_p50_s": {"baseline": round(percentile([a.seconds for a in baseline], 0.5), 3),
                       "mixed": round(percentile([a.seconds for a in good_mixed], 0.5), 3)},
        "hostile_p95_s": p95(hostile_mixed), "hostile_max_s": round(max(a.seconds for a in hostile_mixed), 3),
        "hostile_slowest": slowest(hostile_mixed),
        "good_slowest": slowest(good_mixed),
        "log_errors": sum(1 for line in log.splitlines() if '"level":"ERROR"' in line or '"level":"CRITICAL"' in line),
        "log_tracebacks": log.count("Traceback"),
        "host": platform.node(), "machine": platform.machine(), "cores": os.cpu_count(),
    }


def report(f: dict) -> str:
    ratio = f["good_p95_s"]["mixed"] / f["good_p95_s"]["baseline"]
    rows = [
        ("requests (mix)", f"{f['requests']} at concurrency {f['concurrency']}: {f['hostile']} hostile "
                           f"({f['hostile_files']} distinct files), {f['requests'] - f['hostile']} good"),
        ("statuses (mix)", ", ".join(f"{k}: {v}" for k, v in f["statuses"].items())),
        ("5xx or no answer (baseline + mix)", f["server_errors"]),
        ("answers other than expected", len(f["unexpected"])),
        ("server alive, same PID", f["server_alive_same_pid"]),
        ("renderer processes left", f["renderers_left"]),
        ("/healthz each second",
         f"{f['healthz']['ok']} ok, {f['healthz']['failed']} failed, slowest {f['healthz']['slowest_s']} s"),
        (f"server RSS after request {RSS_AT} / {f['requests']}",
         f"{f['rss_mib'].get(str(RSS_AT))} / {f['rss_mib'].get(str(f['requests']))} MiB "
         f"({f['rss_change'] * 100:+.1f} %)" if f["rss_change"] is not None else "n/a"),
        ("good p95 latency: baseline / mix",
         f"{f['good_p95_s']['baseline']} s / {f['good_p95_s']['mixed']} s ({ratio:.2f}x)"),
        ("good p50 latency: baseline / mix", f"{f['good_p50_s']['baseline']} s / {f['good_p50_s']['mixed']} s"),
        ("hostile p95 / max latency", f"{f['hostile_p95_s']} s / {f['hostile_max_s']} s"),
        ("server log: ERROR lines / tracebacks", f"{f['log_errors']} / {f['log_tracebacks']}"),
    ]
    lines = [f"Command: `.venv/bin/python {f['command']}`", "", "| what | value |", "|---|---|"]
    lines += [f"| {what} | {value} |" for what, value in rows]
    if f["unexpected"]:
        lines += ["", "Unexpected answers:"] + [f"- {u}" for u in f["unexpected"][:30]]
    lines += ["", f"Slowest hostile answers in the mix: {', '.join(f['hostile_slowest'])}",
              f"Slowest good answers in the mix: {', '.join(f['good_slowest'])}",
              "", f"RSS every 100 requests (MiB): {f['rss_mib']}"]
    return "\n".join(lines)


if __name__ == "__main__":
    main()
