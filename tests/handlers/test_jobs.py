"""The async jobs API end to end: create -> PUT to the presigned URL -> worker -> status."""

from urllib.parse import parse_qs, urlparse

import httpx
import pytest

from handler.invoke import LambdaContext
from tests.aws_fixtures import BUCKET
from tests.conftest import SAMPLES, LiveServer


@pytest.fixture(scope="module")
def jobs_api(drop_folder, moto_endpoint):
    server = LiveServer(env={"OCR_BUCKET": BUCKET})  # the moto endpoint and credentials come from os.environ
    with httpx.Client(base_url=server.url, timeout=60) as client:
        yield client
    server.stop()


def test_a_job_runs_end_to_end(jobs_api, drop_folder, worker):
    drop_folder.drain()
    created = jobs_api.post("/api/v1/jobs", json={"filename": "../发票 scan.png", "content_type": "image/png"})
    assert created.status_code == 201, created.text
    job = created.json()
    assert job["upload"]["method"] == "PUT" and job["status_url"] == f"/api/v1/jobs/{job['job_id']}"
    upload = httpx.put(job["upload"]["url"], content=(SAMPLES / "receipt.png").read_bytes(),
                       headers=job["upload"]["headers"])
    assert upload.status_code == 200, upload.text
    keys = drop_folder.keys(f"incoming/jobs/{job['job_id']}/")
    assert len(keys) == 1 and ".." not in next(iter(keys)) and next(iter(keys)).count("/") == 3
    assert jobs_api.get(job["status_url"]).json() == {"job_id": job["job_id"], "status": "pending"}
    assert worker.handle(drop_folder.lambda_event(expected=1), LambdaContext()) == {"batchItemFailures": []}
    status = jobs_api.get(job["status_url"]).json()
    assert status["status"] == "done"
    assert "Corner Shop Receipt" in status["result"]["text"] and len(status["result"]["lines"]) == 6


def test_a_job_whose_file_cannot_be_read_reports_failed(jobs_api, drop_folder, worker):
    drop_folder.drain()
    job = jobs_api.post("/api/v1/jobs", json={"filename": "notes.txt"}).json()
    httpx.put(job["upload"]["url"], content=b"plain text, not an image", headers=job["upload"]["headers"])
    worker.handle(drop_folder.lambda_event(expected=1), LambdaContext())
    status = jobs_api.get(job["status_url"]).json()
    assert status["status"] == "failed" and status["error"]["code"] == "unsupported_media_type"


def test_the_upload_url_is_short_lived_and_bound_to_its_content_type(jobs_api):
    # moto does not check presigned signatures, so the binding is read from the URL S3 would check
    job = jobs_api.post("/api/v1/jobs", json={"content_type": "application/pdf"}).json()
    query = parse_qs(urlparse(job["upload"]["url"]).query)
    assert "content-type" in query["X-Amz-SignedHeaders"][0].split(";")
    assert int(query["X-Amz-Expires"][0]) == job["expires_in"] <= 3600
    assert job["upload"]["headers"] == {"Content-Type": "application/pdf"}


def test_unknown_and_malformed_job_ids(jobs_api):
    assert jobs_api.get("/api/v1/jobs/00000000-0000-4000-8000-000000000000").status_code == 404
    for bad in ("not-a-uuid", "..%2F..%2Fresults", "1"):
        response = jobs_api.get(f"/api/v1/jobs/{bad}")
        assert response.status_code in (404, 422) and response.json()["success"] is False


def test_a_bad_job_request_is_422(jobs_api):
    assert jobs_api.post("/api/v1/jobs", json={"content_type": "text/html"}).status_code == 422
    not_json = jobs_api.post("/api/v1/jobs", content=b"{not json", headers={"content-type": "application/json"})
    assert not_json.status_code == 422
