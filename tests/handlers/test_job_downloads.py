"""A done job's downloads: a presigned GET URL per format it wrote, fetched from moto's server;
the formats a job asks for; and a result too large to inline is left to outputs.json."""

import json

import httpx
import pytest

from handler.invoke import LambdaContext
from tests.aws_fixtures import BUCKET
from tests.conftest import SAMPLES, LiveServer

INLINE_MAX = 2000  # bytes: the receipt's result JSON (six lines, their words and boxes) is larger


@pytest.fixture(scope="module")
def jobs_api(drop_folder, moto_endpoint):
    server = LiveServer(env={"OCR_BUCKET": BUCKET, "OCR_JOB_INLINE_MAX_BYTES": str(INLINE_MAX),
                             "OCR_JOB_DOWNLOAD_EXPIRY": "600"})
    with httpx.Client(base_url=server.url, timeout=60) as client:
        yield client
    server.stop()


def run_job(jobs_api, drop_folder, worker, sample: str, **request) -> dict:
    drop_folder.drain()
    created = jobs_api.post("/api/v1/jobs", json={"filename": sample, "content_type": "image/png", **request})
    assert created.status_code == 201, created.text
    job = created.json()
    upload = httpx.put(job["upload"]["url"], content=(SAMPLES / sample).read_bytes(), headers=job["upload"]["headers"])
    assert upload.status_code == 200, upload.text
    assert worker.handle(drop_folder.lambda_event(expected=1), LambdaContext()) == {"batchItemFailures": []}
    status = jobs_api.get(job["status_url"])
    assert status.status_code == 200, status.text
    return status.json()


def test_every_written_format_downloads_through_its_presigned_url(jobs_api, drop_folder, worker):
    status = run_job(jobs_api, drop_folder, worker, "receipt.png", formats=["txt", "pdf", "hocr", "alto"])
    assert status["status"] == "done"
    outputs = status["outputs"]
    assert set(outputs) == {"json", "txt", "pdf", "hocr", "alto"}
    got = {}
    for name, download in outputs.items():
        assert download["expires_in"] == 600
        response = httpx.get(download["url"], timeout=30)
        assert response.status_code == 200, (name, response.text[:200])
        assert len(response.content) == download["bytes"] > 0
        got[name] = response.content
    assert "Corner Shop Receipt" in json.loads(got["json"])["text"]
    assert "Corner Shop Receipt" in got["txt"].decode()
    assert got["pdf"].startswith(b"%PDF-")
    assert b"ocr_line" in got["hocr"] and b"<alto" in got["alto"]


def test_a_result_past_the_inline_limit_is_left_to_its_download(jobs_api, drop_folder, worker):
    status = run_job(jobs_api, drop_folder, worker, "receipt.png")
    assert status["status"] == "done" and "result" not in status
    assert status["outputs"]["json"]["bytes"] > INLINE_MAX
    assert status["pages_total"] == status["pages_done"] == 1  # from the .json's metadata, its body unread
    result = httpx.get(status["outputs"]["json"]["url"], timeout=30).json()
    assert "Corner Shop Receipt" in result["text"] and len(result["lines"]) == 6


def test_a_small_result_is_inline_and_only_the_asked_formats_are_written(jobs_api, drop_folder, worker):
    status = run_job(jobs_api, drop_folder, worker, "line.png", formats=["json"])
    assert status["outputs"]["json"]["bytes"] <= INLINE_MAX
    assert "OCR" in status["result"]["text"]
    assert set(status["outputs"]) == {"json"}  # not the drop folder's default txt: the job asked for json only


@pytest.mark.parametrize("formats", [["docx"], ["txt", "exe"], "pdf", [""] * 20])
def test_unknown_formats_are_422(jobs_api, formats):
    response = jobs_api.post("/api/v1/jobs", json={"formats": formats})
    assert response.status_code == 422, response.text
    assert response.json()["error"]["code"] == "invalid_parameter"


def test_the_asked_formats_are_signed_into_the_upload(jobs_api):
    job = jobs_api.post("/api/v1/jobs", json={"formats": ["PDF", "text", "txt"]}).json()
    assert job["upload"]["headers"]["x-amz-meta-ocr-formats"] == "pdf,text"
