"""X-Ray spans when tracing is on: the worker run as Lambda runs it (`handler.invoke`, with a
trace header as Lambda sets one) sends its subsegments to an X-Ray daemon address, here a UDP
socket of the test's; with tracing off (the default) it sends nothing and never imports the SDK."""

import json
import os
import socket
import subprocess
import sys

import pytest

from tests.aws_fixtures import BUCKET
from tests.conftest import ROOT, SAMPLES

KEY = "incoming/samples/line sample.png"  # the key in events/s3-put.json
TRACE = "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1"


@pytest.fixture
def daemon():
    listener = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    listener.bind(("127.0.0.1", 0))
    listener.settimeout(0.5)
    yield listener
    listener.close()


def run_worker(drop_folder, daemon, tracing: str) -> str:
    drop_folder.s3.put_object(Bucket=BUCKET, Key=KEY, Body=(SAMPLES / "line.png").read_bytes())
    for suffix in (".json", ".txt", ".error.json"):
        drop_folder.s3.delete_object(Bucket=BUCKET, Key=f"results/samples/line sample.png{suffix}")
    address = f"127.0.0.1:{daemon.getsockname()[1]}"
    argv = ["worker", "events/s3-put.json", "--env", "OCR_THREADS=2", "--env", f"POWERTOOLS_TRACE_DISABLED={tracing}",
            "--env", f"_X_AMZN_TRACE_ID={TRACE}", "--env", f"AWS_XRAY_DAEMON_ADDRESS={address}"]
    # handler.invoke, then whether the X-Ray SDK was imported (on stderr's last line)
    script = (f"import runpy, sys\nsys.argv[1:] = {argv!r}\n"
              "try:\n    runpy.run_module('handler.invoke', run_name='__main__')\nexcept SystemExit:\n    pass\n"
              "print('aws_xray_sdk' in sys.modules, file=sys.stderr)")
    run = subprocess.run([sys.executable, "-c", script], cwd=ROOT, env=os.environ.copy(), capture_output=True,
                         text=True, timeout=120)
    assert run.returncode == 0, run.stderr[-3000:]
    drop_folder.drain()
    return run.stderr.strip().splitlines()[-1]


def received(daemon) -> list[dict]:
    documents = []
    try:
        while True:
            datagram = daemon.recv(65536).decode()
            header, _, body = datagram.partition("\n")
            assert json.loads(header)["format"] == "json"
            documents.append(json.loads(body))
    except TimeoutError:
        return documents


def test_with_tracing_on_the_worker_sends_a_span_per_stage(drop_folder, daemon):
    run_worker(drop_folder, daemon, "false")
    names = {document["name"] for document in received(daemon)}
    assert {"read", "decode", "recognize", "formats", "write"} <= names, names
    assert {"s3", "events"} <= names, names  # boto3 calls, patched by the Tracer


def test_with_tracing_off_nothing_is_sent_and_the_sdk_is_not_loaded(drop_folder, daemon):
    assert run_worker(drop_folder, daemon, "true") == "False"
    assert received(daemon) == []
