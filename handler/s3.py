"""The worker Lambda: files dropped under the input prefix of a bucket are read by the
engine and the results are written back next to them, under the output prefix.

Events: SQS batches whose bodies are S3 notifications (the deployed path: S3 -> SQS ->
Lambda, answered with partial batch failures) and plain S3 notifications (direct or local
invoke). `incoming/a/b.png` -> `results/a/b.png.json` (+ `.txt`), or `.error.json` for a
file that cannot be read. Outputs carry the source's ETag in their metadata: a duplicate
delivery finds them and writes nothing; a new version of the key is read again."""

from __future__ import annotations

import json
import logging
import os
import time
import uuid
from dataclasses import dataclass
from urllib.parse import unquote_plus

from botocore.exceptions import BotoCoreError, ClientError

from ocr_engine import OcrEngine, OcrError, OcrResult
from ocr_engine.errors import DeadlineExceeded, InputTooLarge
from ocr_engine.runtime import limit_malloc_arenas

from .aws import s3_client
from .config import service_settings
from .drop_folder import DropFolder
from .models import DropError, DropResult, ErrorDetail, ModelOut, Source

log = logging.getLogger("ocr.worker")
log.setLevel(os.environ.get("LOG_LEVEL", "INFO"))

ETAG_METADATA = "source-etag"  # x-amz-meta-source-etag on every output


class Transient(Exception):
    """Worth another try: the message goes back to the queue (and, in the end, the DLQ)."""


# a long-running server: flat RSS matters more than the few % one arena costs (runtime.py)
limit_malloc_arenas()
settings = service_settings()
folder = DropFolder.of(settings)
engine = OcrEngine(settings=settings)
MODEL = ModelOut.of(engine.pack)


@dataclass(frozen=True)
class S3Object:
    bucket: str
    key: str
    etag: str | None


def handler(event: dict, context) -> dict:
    records = event.get("Records") or []
    if records and records[0].get("eventSource") == "aws:sqs":
        return _sqs_batch(records, context)
    failures = []
    for obj in _objects_in(event):
        try:
            process(obj, context)
        except Transient as exc:
            failures.append(f"{obj.key}: {exc}")
    if failures:  # a direct invocation is retried as a whole by Lambda
        raise RuntimeError("transient failures: " + "; ".join(failures))
    return {"processed": len(records)}


def _sqs_batch(records: list[dict], context) -> dict:
    failures = []
    for record in records:
        try:
            body = json.loads(record["body"])
            for obj in _objects_in(body):
                process(obj, context)
        except Transient as exc:
            log.warning("transient failure, message returns to the queue: %s", exc)
            failures.append({"itemIdentifier": record["messageId"]})
        except Exception:  # a bug: retried, and after maxReceiveCount parked in the DLQ
            log.exception("unexpected failure for message %s", record.get("messageId"))
            failures.append({"itemIdentifier": record["messageId"]})
    return {"batchItemFailures": failures}


def _objects_in(notification: dict) -> list[S3Object]:
    """The objects of an S3 notification; `s3:TestEvent` (sent when notifications are
    configured) and non-create events have none. Keys arrive URL-encoded (`+` = space)."""
    if notification.get("Event") == "s3:TestEvent":
        return []
    objects = []
    for record in notification.get("Records") or []:
        if record.get("eventSource") != "aws:s3" or not str(record.get("eventName", "")).startswith("ObjectCreated"):
            continue
        s3 = record["s3"]
        objects.append(S3Object(s3["bucket"]["name"], unquote_plus(s3["object"]["key"]), s3["object"].get("eTag")))
    return objects


def process(obj: S3Object, context) -> None:
    base = folder.output_base(obj.key)
    if base is None:
        log.info("ignored (outside %s or a folder): %s", folder.input_prefix, obj.key)
        return
    s3 = s3_client()
    try:
        head = s3.head_object(Bucket=obj.bucket, Key=obj.key)
    except ClientError as exc:
        if _status(exc) == 404:
            log.info("gone before it was read: %s", obj.key)
            return
        raise _transient(exc) from exc
    except BotoCoreError as exc:
        raise Transient(str(exc)) from exc
    etag = head["ETag"].strip('"')
    if obj.etag and obj.etag.strip('"') != etag:
        log.info("a newer version replaced %s; its own event will read it", obj.key)
        return
    if _already_done(obj.bucket, base, etag):
        log.info("duplicate delivery, outputs exist: %s", obj.key)
        return
    source = Source(bucket=obj.bucket, key=obj.key, etag=etag, size=head["ContentLength"])
    request_id = getattr(context, "aws_request_id", None) or uuid.uuid4().hex
    if head["ContentLength"] > folder.max_object_bytes:
        _write_error(base, source, request_id, InputTooLarge(
            f"the file is {head['ContentLength']:,} bytes; the limit is {folder.max_object_bytes:,}"))
        return
    try:
        data = s3.get_object(Bucket=obj.bucket, Key=obj.key, IfMatch=head["ETag"])["Body"].read()
    except ClientError as exc:
        if _status(exc) in (404, 412):
            log.info("changed or gone while being read: %s", obj.key)
            return
        raise _transient(exc) from exc
    except BotoCoreError as exc:
        raise Transient(str(exc)) from exc
    try:
        started = time.perf_counter()
        result = _read_before_deadline(data, context)
        elapsed = time.perf_counter() - started
    except OcrError as exc:
        _write_error(base, source, request_id, exc)
        return
    _write_result(base, source, request_id, result, elapsed)


def _read_before_deadline(data: bytes, context) -> OcrResult:
    """The engine's read, stopping between pages (as a transient failure: the message
    returns) well before the Lambda deadline rather than being killed mid-write."""
    deadline = None
    if context is not None:
        deadline = time.monotonic() + (context.get_remaining_time_in_millis() - folder.deadline_margin_ms) / 1000
    try:
        return engine.read(data, mode="auto", deadline=deadline)
    except DeadlineExceeded as exc:
        raise Transient(f"too close to the Lambda deadline: {exc.message}") from exc


def _already_done(bucket: str, base: str, etag: str) -> bool:
    for suffix in (".json", ".error.json"):
        try:
            head = s3_client().head_object(Bucket=bucket, Key=base + suffix)
        except ClientError as exc:
            if _status(exc) == 404:
                continue
            raise _transient(exc) from exc
        except BotoCoreError as exc:
            raise Transient(str(exc)) from exc
        if head.get("Metadata", {}).get(ETAG_METADATA) == etag:
            return True
    return False


def _write_result(base: str, source: Source, request_id: str, result: OcrResult, elapsed: float) -> None:
    body = DropResult.of(result, elapsed, MODEL, request_id, source=source)
    # the .json is written last: its presence (with this ETag) means done
    _put(source, base + ".txt", result.text.encode("utf-8"), "text/plain; charset=utf-8")
    _put(source, base + ".json", body.model_dump_json(exclude_none=True).encode(), "application/json")
    _delete(source.bucket, base + ".error.json")


def _write_error(base: str, source: Source, request_id: str, error: OcrError) -> None:
    log.info("cannot read %s: %s", source.key, error.code)
    body = DropError(error=ErrorDetail(code=error.code, message=error.message), request_id=request_id, source=source)
    _put(source, base + ".error.json", body.model_dump_json().encode(), "application/json")
    for stale in (".json", ".txt"):
        _delete(source.bucket, base + stale)


def _put(source: Source, key: str, body: bytes, content_type: str) -> None:
    try:
        s3_client().put_object(Bucket=source.bucket, Key=key, Body=body, ContentType=content_type,
                               Metadata={ETAG_METADATA: source.etag})
    except ClientError as exc:
        raise _transient(exc) from exc
    except BotoCoreError as exc:
        raise Transient(str(exc)) from exc


def _delete(bucket: str, key: str) -> None:
    try:
        s3_client().delete_object(Bucket=bucket, Key=key)
    except ClientError as exc:
        if _status(exc) != 404:
            raise _transient(exc) from exc
    except BotoCoreError as exc:
        raise Transient(str(exc)) from exc


def _status(exc: ClientError) -> int:
    return exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0)


def _transient(exc: ClientError) -> Transient:
    return Transient(f"S3 {exc.response.get('Error', {}).get('Code', '?')}: {exc}")
