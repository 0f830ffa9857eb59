"""No telemetry: ONNX Runtime's (a usage database under ~/.cache, a session file in $TMPDIR,
and a DNS lookup of Microsoft's events host) is off in every entry point, seen by strace."""

import os
import shutil
import subprocess
import sys

import pytest

from tests.conftest import ROOT, SAMPLES

ENTRY_POINTS = {
    "engine": [sys.executable, "-c",
               "from ocr_engine import OcrEngine; print(OcrEngine().read('samples/line.png').text)"],
    "cli": [sys.executable, "-m", "ocr_engine.cli", "read", str(SAMPLES / "line.png")],
    "api": [sys.executable, "-m", "handler.invoke", "api", "events/api-rest-post.json"],
    "worker": [sys.executable, "-c",
               "import handler.s3; print(handler.s3.worker.reader.engine.read('samples/line.png').text)"],
}


@pytest.mark.parametrize("entry", ENTRY_POINTS)
def test_an_entry_point_writes_no_telemetry_and_opens_no_network_socket(entry, tmp_path):
    strace = shutil.which("strace")
    assert strace, "Debian's strace is needed (scripts/test installs it)"
    home, temp = tmp_path / "home", tmp_path / "tmp"
    home.mkdir()
    temp.mkdir()
    env = {k: v for k, v in os.environ.items() if k != "ORT_DISABLE_TELEMETRY"}
    env.update(HOME=str(home), TMPDIR=str(temp), OCR_THREADS="1", AWS_DEFAULT_REGION="eu-west-1")
    trace = tmp_path / "trace.txt"
    run = subprocess.run([strace, "-f", "-qq", "-e", "trace=network,openat,open", "-o", str(trace),
                          *ENTRY_POINTS[entry]],
                         cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr[-2000:]
    assert "OCR" in run.stdout
    calls = trace.read_text()
    assert ".onnxruntime" not in calls and "DeveloperTools" not in calls
    assert not (home / ".cache" / "Microsoft").exists() and not (temp / ".ses").exists()
    # nothing leaves the machine: no DNS query, no connection or datagram except to loopback
    # (urllib3 binds a socket to ::1 once to learn whether IPv6 works) or a unix socket
    # (asyncio's wake-up socketpair sends to no address at all)
    outward = [line for line in calls.splitlines()
               if ("connect(" in line or "sa_family=AF_INET" in line)
               and "AF_UNIX" not in line and "127.0.0.1" not in line and '"::1"' not in line]
    assert outward == [], outward[:3]
    assert "htons(53)" not in calls
