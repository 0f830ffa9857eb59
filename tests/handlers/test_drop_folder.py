"""The worker on moto's server: S3 -> SQS notifications -> handler.s3.Worker -> S3 outputs."""

import json
from urllib.parse import unquote_plus

import botocore.exceptions
import pytest
from PIL import Image

from handler.invoke import LambdaContext
from ocr_engine.packs import DEFAULT_PACK
from tests.aws_fixtures import BUCKET, REGION
from tests.conftest import EVAL, ROOT, SAMPLES, encode


def drop(drop_folder, worker, files: dict[str, bytes], context=None) -> dict:
    drop_folder.drain()
    for key, data in files.items():
        drop_folder.s3.put_object(Bucket=BUCKET, Key=key, Body=data)
    event = drop_folder.lambda_event(expected=len(files))
    return worker.handle(event, context or LambdaContext())


def key_of(record: dict) -> str:
    return unquote_plus(json.loads(record["body"])["Records"][0]["s3"]["object"]["key"])



def test_an_image_gives_json_and_txt_outputs_with_the_http_schema(drop_folder, worker):
    response = drop(drop_folder, worker, {"incoming/a/receipt.png": (SAMPLES / "receipt.png").read_bytes()})
    assert response == {"batchItemFailures": []}
    result = drop_folder.json("results/a/receipt.png.json")
    assert result["success"] is True and "Corner Shop Receipt" in result["text"]
    assert len(result["lines"]) == 6 and {"text", "confidence", "box"} <= set(result["lines"][0])
    assert result["model"]["name"] == DEFAULT_PACK and result["elapsed_time"] > 0
    (page,) = result["pages"]  # the HTTP response's one shape: an image is one page
    assert (page["number"], page["width"], page["height"]) == (1, *Image.open(SAMPLES / "receipt.png").size)
    assert page["lines"] == result["lines"] and page["text"] == result["text"]
    head = drop_folder.s3.head_object(Bucket=BUCKET, Key="incoming/a/receipt.png")
    assert result["source"] == {"bucket": BUCKET, "key": "incoming/a/receipt.png", "etag": head["ETag"].strip('"'),
                                "size": head["ContentLength"]}
    text = drop_folder.s3.get_object(Bucket=BUCKET, Key="results/a/receipt.png.txt")["Body"].read().decode()
    assert text == result["text"]


def test_keys_with_spaces_and_chinese_characters_work(drop_folder, worker):
    key = "incoming/发票 2026/my receipt (1).png"
    assert drop(drop_folder, worker, {key: (SAMPLES / "line.png").read_bytes()}) == {"batchItemFailures": []}
    assert "OCR" in drop_folder.json("results/发票 2026/my receipt (1).png.json")["text"]


def test_a_corrupt_file_gets_error_json_and_the_rest_of_the_batch_is_done(drop_folder, worker):
    jpeg = (EVAL / "pages" / "sroie_000.jpg").read_bytes()
    response = drop(drop_folder, worker, {
        "incoming/batch/good1.png": (SAMPLES / "line.png").read_bytes(),
        "incoming/batch/broken.jpg": jpeg[:4000],
        "incoming/batch/notes.png": b"not an image at all",
        "incoming/batch/good2.png": (SAMPLES / "receipt.png").read_bytes(),
    })
    assert response == {"batchItemFailures": []}  # permanent failures are not retried
    assert drop_folder.json("results/batch/broken.jpg.error.json")["error"]["code"] == "invalid_image"
    error = drop_folder.json("results/batch/notes.png.error.json")
    assert error["error"]["code"] == "unsupported_media_type" and error["source"]["key"] == "incoming/batch/notes.png"
    assert drop_folder.keys("results/batch/") >= {"results/batch/good1.png.json", "results/batch/good2.png.json"}
    assert "results/batch/broken.jpg.json" not in drop_folder.keys("results/batch/")


def test_a_transient_s3_error_fails_only_its_own_message(drop_folder, worker, store):
    client = store.s3_client()

    def unreachable(params, **_):
        if params.get("Key") == "incoming/flaky/b.png":
            raise botocore.exceptions.EndpointConnectionError(endpoint_url="http://s3.unreachable")

    client.meta.events.register("before-parameter-build.s3.GetObject", unreachable)
    try:
        drop_folder.drain()
        drop_folder.s3.put_object(Bucket=BUCKET, Key="incoming/flaky/a.png", Body=(SAMPLES / "line.png").read_bytes())
        drop_folder.s3.put_object(Bucket=BUCKET, Key="incoming/flaky/b.png", Body=(SAMPLES / "line.png").read_bytes())
        event = drop_folder.lambda_event(expected=2)
        failed_message = next(r["messageId"] for r in event["Records"] if key_of(r) == "incoming/flaky/b.png")
        response = worker.handle(event, LambdaContext())
    finally:
        client.meta.events.unregister("before-parameter-build.s3.GetObject", unreachable)
    assert response == {"batchItemFailures": [{"itemIdentifier": failed_message}]}
    assert "results/flaky/a.png.json" in drop_folder.keys("results/flaky/")
    assert not any(k.startswith("results/flaky/b.png") for k in drop_folder.keys("results/flaky/"))


def test_a_duplicate_delivery_writes_nothing_new_and_a_new_version_is_read_again(drop_folder, worker, put_keys):
    drop_folder.drain()
    drop_folder.s3.put_object(Bucket=BUCKET, Key="incoming/dup/x.png", Body=(SAMPLES / "line.png").read_bytes())
    event = drop_folder.lambda_event(expected=1)
    puts = put_keys
    assert worker.handle(event, LambdaContext()) == {"batchItemFailures": []}
    assert sorted(puts) == ["results/dup/x.png.json", "results/dup/x.png.txt"]
    assert worker.handle(event, LambdaContext()) == {"batchItemFailures": []}  # the same messages again
    assert len(puts) == 2
    receipt = (SAMPLES / "receipt.png").read_bytes()
    assert drop(drop_folder, worker, {"incoming/dup/x.png": receipt}) == {"batchItemFailures": []}
    assert len(puts) == 4 and "Corner Shop" in drop_folder.json("results/dup/x.png.json")["text"]


def test_outputs_and_folder_markers_never_trigger_processing(drop_folder, worker, put_keys):
    puts = put_keys
    s3_event = {"Records": [
        {"eventSource": "aws:s3", "eventName": "ObjectCreated:Put",
         "s3": {"bucket": {"name": BUCKET}, "object": {"key": "results/a/receipt.png.json", "size": 10}}},
        {"eventSource": "aws:s3", "eventName": "ObjectCreated:Put",
         "s3": {"bucket": {"name": BUCKET}, "object": {"key": "incoming/folder/", "size": 0}}},
    ]}
    sqs_event = {"Records": [{"messageId": "m1", "eventSource": "aws:sqs", "body": json.dumps(s3_event)},
                             {"messageId": "m2", "eventSource": "aws:sqs",
                              "body": json.dumps({"Service": "Amazon S3", "Event": "s3:TestEvent", "Bucket": BUCKET})}]}
    assert worker.handle(sqs_event, LambdaContext()) == {"batchItemFailures": []}
    assert worker.handle(s3_event, LambdaContext()) == {"processed": 2}
    assert puts == []


def test_a_three_page_pdf_gives_three_pages(drop_folder, worker):
    receipt = Image.open(SAMPLES / "receipt.png").convert("RGB")
    pdf = encode(receipt, "PDF", save_all=True, append_images=[receipt, receipt], resolution=100)
    assert drop(drop_folder, worker, {"incoming/docs/three.pdf": pdf}) == {"batchItemFailures": []}
    result = drop_folder.json("results/docs/three.pdf.json")
    assert [p["number"] for p in result["pages"]] == [1, 2, 3]
    assert all("Corner Shop" in p["text"] for p in result["pages"])


def test_a_direct_s3_event_is_processed(drop_folder, worker):
    drop_folder.s3.put_object(Bucket=BUCKET, Key="incoming/direct/line+1.png", Body=(SAMPLES / "line.png").read_bytes())
    event = {"Records": [{"eventSource": "aws:s3", "eventName": "ObjectCreated:Put",
                          "s3": {"bucket": {"name": BUCKET}, "object": {"key": "incoming/direct/line%2B1.png"}}}]}
    assert worker.handle(event, LambdaContext()) == {"processed": 1}
    assert "OCR" in drop_folder.json("results/direct/line+1.png.json")["text"]


@pytest.mark.parametrize("event_file", ["s3-put.json", "sqs-s3-put.json"])
def test_the_sample_events_are_accepted(drop_folder, worker, event_file):
    event = json.loads((ROOT / "events" / event_file).read_text())
    bucket = "my-ocr-bucket"
    if bucket not in {b["Name"] for b in drop_folder.s3.list_buckets()["Buckets"]}:
        drop_folder.s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": REGION})
    drop_folder.s3.put_object(Bucket=bucket, Key="incoming/samples/line sample.png",
                              Body=(SAMPLES / "line.png").read_bytes())
    drop_folder.s3.delete_object(Bucket=bucket, Key="results/samples/line sample.png.json")
    response = worker.handle(event, LambdaContext())
    assert response in ({"processed": 1}, {"batchItemFailures": []})
    result = json.loads(
        drop_folder.s3.get_object(Bucket=bucket, Key="results/samples/line sample.png.json")["Body"].read())
    assert "OCR" in result["text"]
