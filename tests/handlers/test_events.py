"""Completion events on moto's server: an EventBridge rule on the default bus forwards the
worker's events to an SQS queue, where the test reads them back. One event per document:
done or failed, a fanned-out document on its assembly, and none for a duplicate delivery."""

import dataclasses
import io
import json
import uuid

import boto3
import pytest
from PIL import Image

from handler.events import EventSender
from tests.aws_fixtures import BUCKET, REGION, with_layout
from tests.conftest import SAMPLES


@pytest.fixture(scope="module")
def events_queue(moto_endpoint):
    """A queue that a rule on the default bus fills with every event whose source is ours."""
    events = boto3.client("events", endpoint_url=moto_endpoint, region_name=REGION)
    sqs = boto3.client("sqs", endpoint_url=moto_endpoint, region_name=REGION)
    queue_url = sqs.create_queue(QueueName="ocr-events-test")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    events.put_rule(Name="ocr-documents", EventPattern=json.dumps({"source": ["ocr-service"]}))
    events.put_targets(Rule="ocr-documents", Targets=[{"Id": "queue", "Arn": arn}])

    def received() -> list[dict]:
        found = []
        while messages := sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10,
                                              WaitTimeSeconds=1).get("Messages"):
            for message in messages:
                found.append(json.loads(message["Body"]))
                sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"])
        return found

    received()
    return received, events


@pytest.fixture
def announcing(worker, events_queue, drop_folder):
    """The worker with its events on (the test fixture's worker has none)."""
    drop_folder.drain()
    events_queue[0]()
    sender = EventSender("default", lambda: events_queue[1])
    return dataclasses.replace(worker, reader=dataclasses.replace(worker.reader, events=sender))


def test_a_completed_job_sends_one_event_and_a_duplicate_delivery_none(announcing, drop_folder, events_queue):
    job_id = str(uuid.uuid4())
    key = f"incoming/jobs/{job_id}/receipt.png"
    drop_folder.s3.put_object(Bucket=BUCKET, Key=key, Body=(SAMPLES / "receipt.png").read_bytes(),
                              Metadata={"ocr-formats": "txt,hocr"})
    (notification,) = drop_folder.receive()
    drop_folder.deliver(announcing, [notification])
    (event,) = events_queue[0]()
    assert event["source"] == "ocr-service" and event["detail-type"] == "OCR Job Completed"
    detail = event["detail"]
    etag = drop_folder.s3.head_object(Bucket=BUCKET, Key=key)["ETag"].strip('"')
    assert (detail["job_id"], detail["bucket"], detail["key"], detail["etag"]) == (job_id, BUCKET, key, etag)
    assert detail["pages"] == 1 and detail["error"] is None
    assert set(detail["formats"]) == {"json", "txt", "hocr"}
    for name, output in detail["formats"].items():  # each named key is there
        assert drop_folder.s3.head_object(Bucket=BUCKET, Key=output)["ContentLength"] > 0, name

    drop_folder.sqs.send_message(QueueUrl=drop_folder.queue_url, MessageBody=notification["Body"])  # again
    drop_folder.deliver(announcing, drop_folder.receive())
    assert events_queue[0]() == []


def test_a_dropped_file_that_cannot_be_read_sends_one_failed_event(announcing, drop_folder, events_queue):
    key = "incoming/events/notes.png"
    drop_folder.s3.put_object(Bucket=BUCKET, Key=key, Body=b"plain text, not an image")
    (notification,) = drop_folder.receive()
    drop_folder.deliver(announcing, [notification])
    drop_folder.sqs.send_message(QueueUrl=drop_folder.queue_url, MessageBody=notification["Body"])
    drop_folder.deliver(announcing, drop_folder.receive())
    (event,) = events_queue[0]()
    assert event["detail-type"] == "OCR Job Failed"
    detail = event["detail"]
    assert detail["job_id"] is None and detail["key"] == key and detail["pages"] is None
    assert detail["error"]["code"] in ("invalid_image", "unsupported_media_type") and detail["error"]["message"]
    assert detail["formats"] == {} and detail["error_key"] == "results/events/notes.png.error.json"
    assert drop_folder.json(detail["error_key"])["error"]["code"] == detail["error"]["code"]


def test_a_fanned_out_document_sends_one_event_on_its_assembly(announcing, drop_folder, events_queue):
    fanned = with_layout(announcing, queue_url=drop_folder.queue_url, fanout_pages=1, range_pages=1)
    receipt = Image.open(SAMPLES / "receipt.png")
    buffer = io.BytesIO()
    receipt.save(buffer, format="TIFF", save_all=True, append_images=[receipt, receipt])
    drop_folder.s3.put_object(Bucket=BUCKET, Key="incoming/events/three.tiff", Body=buffer.getvalue())
    delivered_ranges, events = [], []
    for _ in range(20):
        messages = drop_folder.receive()
        if not messages:
            break
        delivered_ranges += [m["Body"] for m in messages if "ocr_range" in m["Body"]]
        drop_folder.deliver(fanned, messages)
        events += events_queue[0]()
    assert len(delivered_ranges) == 3
    for body in delivered_ranges:  # every range delivered again, after the assembly
        drop_folder.sqs.send_message(QueueUrl=drop_folder.queue_url, MessageBody=body)
    drop_folder.deliver(fanned, drop_folder.receive())
    events += events_queue[0]()
    (event,) = events
    assert event["detail-type"] == "OCR Job Completed"
    assert event["detail"]["pages"] == 3 and event["detail"]["key"] == "incoming/events/three.tiff"
    assert event["detail"]["formats"]["json"] == "results/events/three.tiff.json"


def test_a_refused_event_is_logged_and_the_outputs_stand(worker, drop_folder, events_queue):
    drop_folder.drain()
    broken = EventSender("no-such-bus", lambda: events_queue[1])
    refusing = dataclasses.replace(worker, reader=dataclasses.replace(worker.reader, events=broken))
    drop_folder.s3.put_object(Bucket=BUCKET, Key="incoming/events/line.png", Body=(SAMPLES / "line.png").read_bytes())
    assert drop_folder.deliver(refusing, drop_folder.receive()) == {"batchItemFailures": []}
    assert "OCR" in drop_folder.json("results/events/line.png.json")["text"]
