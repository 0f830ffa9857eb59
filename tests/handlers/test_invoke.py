"""`python -m handler.invoke` on every sample event in events/: the API events directly,
the S3 and SQS ones against moto's server with the object uploaded first."""

import json
import os
import subprocess
import sys

import pytest

from ocr_engine.packs import DEFAULT_PACK
from tests.aws_fixtures import BUCKET
from tests.conftest import ROOT, SAMPLES

EVENTS = sorted(p.name for p in (ROOT / "events").glob("*.json"))
KEY = "incoming/samples/line sample.png"  # the key in events/s3-put.json (URL-encoded there)


def invoke(function: str, event: str, env: dict | None = None) -> dict:
    run = subprocess.run([sys.executable, "-m", "handler.invoke", function, f"events/{event}",
                          "--env", "OCR_THREADS=2"],
                         cwd=ROOT, env={**os.environ, **(env or {})}, capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr[-3000:]
    return json.loads(run.stdout)


def test_every_sample_event_is_covered_here():
    assert EVENTS == ["api-http-post.json", "api-rest-healthz.json", "api-rest-post.json", "s3-put.json",
                      "sqs-s3-put.json"]


@pytest.mark.parametrize("event", [e for e in EVENTS if e.startswith("api-")])
def test_the_api_events_get_200_from_the_api_function(event):
    response = invoke("api", event, {"OCR_BUCKET": "my-ocr-bucket"})
    assert response["statusCode"] == 200
    body = json.loads(response["body"])
    if "healthz" in event:
        assert body["ready"] is True and body["model"]["name"] == DEFAULT_PACK
    else:
        assert body["success"] is True and body["text"].replace(" ", "") == "光学字符识别OCR2026"


@pytest.mark.parametrize("event", ["s3-put.json", "sqs-s3-put.json"])
def test_the_drop_folder_events_make_the_worker_write_results_to_ocr_bucket(event, drop_folder):
    drop_folder.s3.put_object(Bucket=BUCKET, Key=KEY, Body=(SAMPLES / "line.png").read_bytes())
    for suffix in (".json", ".txt"):
        drop_folder.s3.delete_object(Bucket=BUCKET, Key=f"results/samples/line sample.png{suffix}")
    response = invoke("worker", event)  # moto's endpoint and OCR_BUCKET come from the fixtures' environment
    if event.startswith("sqs"):
        assert response == {"batchItemFailures": []}
    else:
        assert response == {"processed": 1}
    result = drop_folder.json("results/samples/line sample.png.json")
    assert result["source"]["bucket"] == BUCKET and result["source"]["key"] == KEY
    assert result["text"].replace(" ", "") == "光学字符识别OCR2026"
    drop_folder.drain()  # the upload also notified the fixture's queue


def test_the_invoke_environment_is_the_stacks_with_the_pack_here():
    from handler.invoke import lambda_environment
    from handler.lambda_env import function_environment

    env = lambda_environment("worker", pack=ROOT / "build" / "packs" / DEFAULT_PACK)
    stack = function_environment("worker", env["OCR_BUCKET"])
    assert {k: v for k, v in env.items() if k in stack and k != "OCR_MODEL_PACK"} == \
        {k: v for k, v in stack.items() if k != "OCR_MODEL_PACK"}
    assert stack["OCR_MODEL_PACK"] == "/opt/model-pack" and env["OCR_MODEL_PACK"].endswith(DEFAULT_PACK)


def test_OCR_MAX_BYTES_limits_the_worker(drop_folder):
    data = (SAMPLES / "line.png").read_bytes()
    drop_folder.s3.put_object(Bucket=BUCKET, Key=KEY, Body=data)
    for suffix in (".json", ".txt", ".error.json"):
        drop_folder.s3.delete_object(Bucket=BUCKET, Key=f"results/samples/line sample.png{suffix}")
    assert invoke("worker", "s3-put.json", {"OCR_MAX_BYTES": str(len(data) - 1)}) == {"processed": 1}
    error = drop_folder.json("results/samples/line sample.png.error.json")
    assert error["error"]["code"] == "input_too_large" and f"{len(data) - 1:,}" in error["error"]["message"]
    assert "results/samples/line sample.png.json" not in drop_folder.keys("results/samples/")
    drop_folder.s3.delete_object(Bucket=BUCKET, Key="results/samples/line sample.png.error.json")
    drop_folder.drain()
