"""Latency of POST /api/v1/ocr through real uvicorn (1 worker, OCR_THREADS=1), and the
server's RSS over many requests.

    .venv/bin/python bench/api_latency.py [--rounds 3] [--rss-requests 500]

Each eval page (../shared/eval/pages) is posted `--rounds` times as a multipart upload;
latency is measured at the client (upload + OCR + response). Then eval lines are posted
in a loop and the server's RSS is read after 50 and after `--rss-requests` requests."""

import argparse
import json
import os
import platform
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

import httpx
import psutil

ROOT = Path(__file__).resolve().parents[1]
EVAL = ROOT.parent / "shared" / "eval"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--rss-requests", type=int, default=500)
    args = parser.parse_args()
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    server = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "handler.api:app", "--port", str(port), "--workers", "1",
         "--log-level", "warning", "--no-server-header"],
        cwd=ROOT, env={**os.environ, "OCR_THREADS": "1", "OCR_INFERENCE_WORKERS": "1"},
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    try:
        with httpx.Client(base_url=url, timeout=120) as client:
            for _ in range(300):
                try:
                    client.get("/healthz")
                    break
                except httpx.HTTPError:
                    time.sleep(0.2)
            rows = [json.loads(line) for line in (EVAL / "labels.jsonl").read_text().splitlines() if line]
            pages = [EVAL / r["file"] for r in rows if r["kind"] == "page"]
            lines = [EVAL / r["file"] for r in rows if r["kind"] == "line"]
            latencies = []
            for _ in range(args.rounds):
                for page in pages:
                    started = time.perf_counter()
                    response = client.post("/api/v1/ocr", files={"image": (page.name, page.read_bytes())},
                                           data={"mode": "page"})
                    latencies.append(time.perf_counter() - started)
                    assert response.status_code == 200, response.text
            process = psutil.Process(server.pid)
            rss = {}
            for count in range(1, args.rss_requests + 1):
                line = lines[count % len(lines)]
                assert client.post("/api/v1/ocr", files={"image": (line.name, line.read_bytes())}).status_code == 200
                if count in (50, args.rss_requests):
                    rss[count] = round(process.memory_info().rss / 2**20, 1)
    finally:
        server.terminate()
        server.wait(timeout=10)
    print(json.dumps({
        "command": " ".join(["bench/api_latency.py", *sys.argv[1:]]),
        "pages": len(pages), "rounds": args.rounds,
        "page_latency_s": {"p50": round(percentile(latencies, 0.5), 3), "p95": round(percentile(latencies, 0.95), 3),
                           "mean": round(statistics.mean(latencies), 3)},
        "server_rss_mib_after_requests": rss,
        "host": platform.node(), "machine": platform.machine(),
    }))


if __name__ == "__main__":
    main()
