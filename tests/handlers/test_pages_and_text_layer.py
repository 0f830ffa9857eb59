"""The drop folder's text layer setting (OCR_TEXT_LAYER) and a file's own `pages` and
`text_layer` (its S3 metadata, which the jobs API signs into the upload), on moto's server."""

import httpx
import pytest

from handler.invoke import LambdaContext
from testkit.born_digital import born_digital_pdf
from tests.aws_fixtures import BUCKET, with_layout
from tests.conftest import LiveServer
from tests.handlers.test_drop_folder import drop
from tests.handlers.test_fanout import run_queue, upload

PDF = born_digital_pdf([[f"Page number {n}"] for n in range(1, 5)])


def pages_of(drop_folder, key: str) -> list[tuple[int, str, str]]:
    return [(p["number"], p["source"], p["text"]) for p in drop_folder.json(key)["pages"]]


def test_the_drop_folder_reads_text_layers_by_default_and_ocrs_with_ignore(drop_folder, worker):
    assert worker.reader.folder.text_layer == "auto"  # OCR_TEXT_LAYER's default
    drop(drop_folder, worker, {"incoming/tl/auto.pdf": PDF})
    assert {source for _, source, _ in pages_of(drop_folder, "results/tl/auto.pdf.json")} == {"text"}
    drop(drop_folder, with_layout(worker, text_layer="ignore"), {"incoming/tl/ignore.pdf": PDF})
    assert pages_of(drop_folder, "results/tl/ignore.pdf.json") == [(n, "ocr", f"Page number {n}") for n in range(1, 5)]


def put_with_metadata(drop_folder, worker, key: str, metadata: dict[str, str]) -> None:
    drop_folder.drain()
    drop_folder.s3.put_object(Bucket=BUCKET, Key=key, Body=PDF, Metadata=metadata)
    worker.handle(drop_folder.lambda_event(expected=1), LambdaContext())


def test_a_files_metadata_chooses_its_pages_and_text_layer(drop_folder, worker):
    put_with_metadata(drop_folder, worker, "incoming/tl/meta.pdf", {"ocr-pages": "2-3", "ocr-text-layer": "ignore"})
    assert pages_of(drop_folder, "results/tl/meta.pdf.json") == [(n, "ocr", f"Page number {n}") for n in (2, 3)]


@pytest.mark.parametrize("pages, says", [("2-x", "such as 1-3,7"), ("3-9", "not within the document's 4 pages")])
def test_bad_pages_in_the_metadata_are_the_files_invalid_parameter(drop_folder, worker, pages, says):
    put_with_metadata(drop_folder, worker, f"incoming/tl/bad {pages}.pdf", {"ocr-pages": pages})
    error = drop_folder.json(f"results/tl/bad {pages}.pdf.error.json")["error"]
    assert error["code"] == "invalid_parameter" and says in error["message"]


def test_a_selection_longer_than_the_fanout_size_is_read_in_ranges_of_its_pages(worker, drop_folder):
    drop_folder.drain()
    fanned = with_layout(worker, queue_url=drop_folder.queue_url, fanout_pages=3, range_pages=2)
    long = born_digital_pdf([[f"Page number {n}"] for n in range(1, 13)])
    drop_folder.s3.put_object(Bucket=BUCKET, Key="incoming/tl/long.pdf", Body=long, Metadata={"ocr-pages": "2-4,9,11"})
    assert all(r == {"batchItemFailures": []} for r in run_queue(drop_folder, fanned))
    read = pages_of(drop_folder, "results/tl/long.pdf.json")
    assert read == [(n, "text", f"Page number {n}") for n in (2, 3, 4, 9, 11)]
    upload(drop_folder, "incoming/tl/short.pdf", long)  # without a selection it fans out as before
    drop_folder.s3.put_object(Bucket=BUCKET, Key="incoming/tl/few.pdf", Body=long, Metadata={"ocr-pages": "12"})
    assert all(r == {"batchItemFailures": []} for r in run_queue(drop_folder, fanned))
    assert [n for n, *_ in pages_of(drop_folder, "results/tl/short.pdf.json")] == list(range(1, 13))
    assert pages_of(drop_folder, "results/tl/few.pdf.json") == [(12, "text", "Page number 12")]


@pytest.fixture(scope="module")
def jobs_api(drop_folder, moto_endpoint):
    server = LiveServer(env={"OCR_BUCKET": BUCKET})
    with httpx.Client(base_url=server.url, timeout=60) as client:
        yield client
    server.stop()


def test_a_job_reads_the_pages_and_text_layer_it_was_created_with(jobs_api, drop_folder, worker):
    drop_folder.drain()
    created = jobs_api.post("/api/v1/jobs", json={"filename": "doc.pdf", "content_type": "application/pdf",
                                                  "pages": "4, 2-3", "text_layer": "ignore"})
    assert created.status_code == 201, created.text
    job = created.json()
    assert job["upload"]["headers"] == {"Content-Type": "application/pdf", "x-amz-meta-ocr-pages": "4,2-3",
                                        "x-amz-meta-ocr-text-layer": "ignore"}
    assert httpx.put(job["upload"]["url"], content=PDF, headers=job["upload"]["headers"]).status_code == 200
    worker.handle(drop_folder.lambda_event(expected=1), LambdaContext())
    result = jobs_api.get(job["status_url"]).json()["result"]
    assert [(p["number"], p["source"], p["text"]) for p in result["pages"]] == [
        (n, "ocr", f"Page number {n}") for n in (2, 3, 4)]


@pytest.mark.parametrize("body", [{"pages": "1-"}, {"pages": "0"}, {"text_layer": "both"}])
def test_a_job_with_bad_options_is_refused_with_422(jobs_api, body):
    response = jobs_api.post("/api/v1/jobs", json=body)
    assert response.status_code == 422 and response.json()["error"]["code"] == "invalid_parameter"
