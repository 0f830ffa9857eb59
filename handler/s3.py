"""The worker Lambda: files dropped under the input prefix of a bucket are read by the
engine and the results are written back next to them, under the output prefix.

Events: SQS batches whose bodies are S3 notifications (the deployed path: S3 -> SQS ->
Lambda, answered with partial batch failures by Powertools' BatchProcessor) and plain S3
notifications (direct or local invoke). `incoming/a/b.png` -> `results/a/b.png.json`
(+ the other OCR_OUTPUT_FORMATS: `.txt`, `.pdf`, `.hocr.html`, `.alto.xml`), or
`.error.json` for a file that cannot be read. Outputs carry the source's ETag in their
metadata: a duplicate delivery finds them and writes nothing; a new version of the key is
read again."""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass
from urllib.parse import unquote_plus

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes import S3Event, SQSRecord
from botocore.exceptions import BotoCoreError, ClientError

from ocr_engine import OcrEngine, OcrError, OcrResult
from ocr_engine.budget import Budget
from ocr_engine.errors import DeadlineExceeded, InputTooLarge
from ocr_engine.runtime import limit_malloc_arenas

from .aws import s3_client
from .config import service_settings
from .drop_folder import ERROR, RESULT, DropFolderLayout, Output
from .logs import logger
from .models import DropError, DropResult, DropSource, ErrorDetail, ModelOut

ETAG_METADATA = "source-etag"  # x-amz-meta-source-etag on every output


class Transient(Exception):
    """Worth another try: the message goes back to the queue (and, in the end, the DLQ)."""


# a long-running server: flat RSS matters more than the few % one arena costs (runtime.py)
limit_malloc_arenas()
settings = service_settings()
folder = DropFolderLayout.of(settings)
engine = OcrEngine(settings=settings)
MODEL = ModelOut.of(engine.pack)
MODEL_LABEL = f"{MODEL.name} {MODEL.version}"  # how hOCR and ALTO name the model
# a batch whose every message failed is answered like any other: each returns to the queue
batch = BatchProcessor(event_type=EventType.SQS, raise_on_entire_batch_failure=False)


@dataclass(frozen=True)
class S3Object:
    bucket: str
    key: str
    etag: str | None


@logger.inject_lambda_context
def handler(event: dict, context) -> dict:
    records = event.get("Records") or []
    if records and records[0].get("eventSource") == "aws:sqs":
        return process_partial_response(event=event, record_handler=_sqs_record, processor=batch, context=context)
    failures = []
    for obj in _objects_in(event):
        try:
            process(obj, context)
        except Transient as exc:
            failures.append(f"{obj.key}: {exc}")
    if failures:  # a direct invocation is retried as a whole by Lambda
        raise RuntimeError("transient failures: " + "; ".join(failures))
    return {"processed": len(records)}


def _sqs_record(record: SQSRecord, lambda_context=None) -> None:
    """One message: any exception returns it to the queue (a bug, after maxReceiveCount,
    parks it in the dead-letter queue)."""
    try:
        for obj in _objects_in(record.json_body):
            process(obj, lambda_context)
    except Transient as exc:
        logger.warning("transient failure, message returns to the queue", extra={"reason": str(exc)})
        raise
    except Exception:
        logger.exception("unexpected failure", extra={"message_id": record.message_id})
        raise


def _objects_in(notification: dict) -> list[S3Object]:
    """The objects of an S3 notification; `s3:TestEvent` (sent when notifications are
    configured) and non-create events have none. Keys arrive URL-encoded (`+` = space)."""
    if notification.get("Event") == "s3:TestEvent" or not notification.get("Records"):
        return []
    return [
        S3Object(record.s3.bucket.name, unquote_plus(record.s3.get_object.key), record.s3.get_object.etag or None)
        for record in S3Event(notification).records
        if record.event_source == "aws:s3" and record.event_name.startswith("ObjectCreated")
    ]


def process(obj: S3Object, context) -> None:
    base = folder.output_base(obj.key)
    if base is None:
        logger.info("ignored: outside the input prefix, or a folder", extra={"key": obj.key})
        return
    head = _s3("head_object", absent=(404,), Bucket=obj.bucket, Key=obj.key)
    if head is None:
        logger.info("gone before it was read", extra={"key": obj.key})
        return
    etag = head["ETag"].strip('"')
    if obj.etag and obj.etag.strip('"') != etag:
        logger.info("a newer version replaced it; its own event will read it", extra={"key": obj.key})
        return
    if _already_done(obj.bucket, base, etag):
        logger.info("duplicate delivery, outputs exist", extra={"key": obj.key})
        return
    source = DropSource(bucket=obj.bucket, key=obj.key, etag=etag, size=head["ContentLength"])
    request_id = getattr(context, "aws_request_id", None) or uuid.uuid4().hex
    if head["ContentLength"] > folder.max_object_bytes:
        _write_error(base, source, request_id, InputTooLarge(
            f"the file is {head['ContentLength']:,} bytes; the limit is {folder.max_object_bytes:,}"))
        return
    got = _s3("get_object", absent=(404, 412), Bucket=obj.bucket, Key=obj.key, IfMatch=head["ETag"])
    if got is None:
        logger.info("changed or gone while being read", extra={"key": obj.key})
        return
    data = _read_body(got)
    try:
        started = time.perf_counter()
        result = _read_before_deadline(data, context)
        elapsed = time.perf_counter() - started
        outputs = folder.render(result, data, source_name=obj.key.rsplit("/", 1)[-1], model=MODEL_LABEL)
    except OcrError as exc:
        _write_error(base, source, request_id, exc)
        return
    _write_result(base, source, request_id, result, elapsed, outputs)


def _read_before_deadline(data: bytes, context) -> OcrResult:
    """The engine's read, stopping between pages (as a transient failure: the message
    returns) well before the Lambda deadline rather than being killed mid-write."""
    budget = None
    if context is not None:
        budget = Budget.within((context.get_remaining_time_in_millis() - folder.deadline_margin_ms) / 1000)
    try:
        return engine.read(data, mode="auto", budget=budget)
    except DeadlineExceeded as exc:
        raise Transient(f"too close to the Lambda deadline: {exc.message}") from exc


def _already_done(bucket: str, base: str, etag: str) -> bool:
    for suffix in (RESULT, ERROR):
        head = _s3("head_object", absent=(404,), Bucket=bucket, Key=base + suffix)
        if head is not None and head.get("Metadata", {}).get(ETAG_METADATA) == etag:
            return True
    return False


def _write_result(base: str, source: DropSource, request_id: str, result: OcrResult, elapsed: float,
                  outputs: list[Output]) -> None:
    body = DropResult.of(result, elapsed, MODEL, request_id, source=source)
    for output in outputs:
        _put(source, base + output.suffix, output.body, output.media_type)
    # what an earlier setting wrote for an earlier version of the file must not pass for this one's
    for stale in set(folder.every_suffix()) - {RESULT, *(o.suffix for o in outputs)}:
        _s3("delete_object", absent=(404,), Bucket=source.bucket, Key=base + stale)
    # the .json is written last: its presence (with this ETag) means done
    _put(source, base + RESULT, body.model_dump_json(exclude_none=True).encode(), "application/json")
    _s3("delete_object", absent=(404,), Bucket=source.bucket, Key=base + ERROR)


def _write_error(base: str, source: DropSource, request_id: str, error: OcrError) -> None:
    logger.info("cannot read the file", extra={"key": source.key, "code": error.code})
    body = DropError(error=ErrorDetail(code=error.code, message=error.message), request_id=request_id, source=source)
    _put(source, base + ERROR, body.model_dump_json().encode(), "application/json")
    for stale in folder.every_suffix():  # every format's, whatever OCR_OUTPUT_FORMATS says now
        _s3("delete_object", absent=(404,), Bucket=source.bucket, Key=base + stale)


def _put(source: DropSource, key: str, body: bytes, content_type: str) -> None:
    """Write one output, unless an earlier try at this source (same ETag) already did: a try
    that failed between two writes (S3 throttling past the SDK's retries) returns its message,
    and the retry writes only what is missing."""
    written = _s3("head_object", absent=(404,), Bucket=source.bucket, Key=key)
    if written is not None and written.get("Metadata", {}).get(ETAG_METADATA) == source.etag:
        return
    _s3("put_object", Bucket=source.bucket, Key=key, Body=body, ContentType=content_type,
        Metadata={ETAG_METADATA: source.etag})


def _read_body(got: dict) -> bytes:
    try:
        return got["Body"].read()
    except BotoCoreError as exc:  # the connection dropped mid-download
        raise Transient(str(exc)) from exc


def _s3(operation: str, absent: tuple[int, ...] = (), **params) -> dict | None:
    """One S3 call. An S3 or network error is Transient (the message returns to the queue),
    except the HTTP statuses in `absent`, which give None."""
    try:
        return getattr(s3_client(), operation)(**params)
    except ClientError as exc:
        status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0)
        if status in absent:
            return None
        raise Transient(f"S3 {exc.response.get('Error', {}).get('Code', '?')}: {exc}") from exc
    except BotoCoreError as exc:
        raise Transient(str(exc)) from exc
