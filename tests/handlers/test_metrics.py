"""EMF metrics (Powertools' Metrics) in what the API and the worker print, each run as Lambda
would run it in a fresh process (`python -m handler.invoke`, which moves what Lambda reads
from stdout to stderr: its own stdout is the answer)."""

import json
import os
import subprocess
import sys

from tests.aws_fixtures import BUCKET
from tests.conftest import ROOT, SAMPLES

KEY = "incoming/samples/line sample.png"  # the key in events/s3-put.json


def emf_of(function: str, event: str, env: dict | None = None) -> list[dict]:
    """The EMF objects the function printed: JSON lines with CloudWatch's `_aws` metadata."""
    run = subprocess.run([sys.executable, "-m", "handler.invoke", function, f"events/{event}",
                          "--env", "OCR_THREADS=2"],
                         cwd=ROOT, env={**os.environ, **(env or {})}, capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr[-3000:]
    found = []
    for line in run.stderr.splitlines():
        if line.startswith("{") and '"_aws"' in line:
            found.append(json.loads(line))
    return found


def metric_names(emf: dict) -> set[str]:
    return {m["Name"] for block in emf["_aws"]["CloudWatchMetrics"] for m in block["Metrics"]}


def values(objects: list[dict], name: str) -> list[float]:
    """Every value of the metric `name` (EMF holds one value, or a list of them)."""
    found: list[float] = []
    for o in objects:
        if name in metric_names(o):
            found += o[name] if isinstance(o[name], list) else [o[name]]
    return found


def test_the_api_prints_requests_latency_pages_stages_and_its_cold_start():
    objects = emf_of("api", "api-rest-post.json", {"OCR_BUCKET": "my-ocr-bucket"})
    assert objects, "no EMF object printed"
    assert all(block["Namespace"] == "OcrService" for o in objects for block in o["_aws"]["CloudWatchMetrics"])
    assert values(objects, "ColdStart") == [1] and values(objects, "Requests") == [1]
    (init,) = values(objects, "InitDuration")
    (latency,) = values(objects, "Latency")
    assert init > 0 and latency > 0
    assert values(objects, "Pages") == [1] and values(objects, "Lines") == [1]
    assert values(objects, "BytesRead")[0] > 1000
    for stage in ("DecodeTime", "RecognizeTime"):
        assert len(values(objects, stage)) == 1, stage
    main = next(o for o in objects if "Requests" in metric_names(o))
    assert main["service"] == "ocr-service-api"


def test_the_worker_prints_what_it_read_the_stages_and_its_cold_start(drop_folder):
    drop_folder.s3.put_object(Bucket=BUCKET, Key=KEY, Body=(SAMPLES / "line.png").read_bytes())
    for suffix in (".json", ".txt", ".error.json"):
        drop_folder.s3.delete_object(Bucket=BUCKET, Key=f"results/samples/line sample.png{suffix}")
    objects = emf_of("worker", "sqs-s3-put.json")
    assert values(objects, "ColdStart") == [1] and values(objects, "DocumentsCompleted") == [1]
    assert values(objects, "Pages") == [1] and values(objects, "Lines") == [1]
    assert values(objects, "BytesRead") == [len((SAMPLES / "line.png").read_bytes())]
    for stage in ("DecodeTime", "RecognizeTime", "FormatsTime", "InitDuration"):
        assert len(values(objects, stage)) == 1, stage
    main = next(o for o in objects if "Pages" in metric_names(o))
    assert main["service"] == "ocr-service-worker"
    drop_folder.drain()


def test_the_worker_counts_errors_by_code(drop_folder):
    data = (SAMPLES / "line.png").read_bytes()
    drop_folder.s3.put_object(Bucket=BUCKET, Key=KEY, Body=data)
    for suffix in (".json", ".txt", ".error.json"):
        drop_folder.s3.delete_object(Bucket=BUCKET, Key=f"results/samples/line sample.png{suffix}")
    objects = emf_of("worker", "s3-put.json", {"OCR_MAX_BYTES": str(len(data) - 1)})
    (error,) = [o for o in objects if "Errors" in metric_names(o)]
    assert error["ErrorCode"] == "input_too_large" and values([error], "Errors") == [1]
    assert ["ErrorCode", "service"] == sorted(error["_aws"]["CloudWatchMetrics"][0]["Dimensions"][0])
    assert values(objects, "DocumentsFailed") == [1] and not values(objects, "DocumentsCompleted")
    drop_folder.s3.delete_object(Bucket=BUCKET, Key="results/samples/line sample.png.error.json")
    drop_folder.drain()
