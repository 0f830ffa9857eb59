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
from collections.abc import Callable
from contextvars import ContextVar
from dataclasses import dataclass
from urllib.parse import unquote_plus

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes import S3Event, SQSRecord
from botocore.exceptions import BotoCoreError, ClientError

from ocr_engine import OcrError, OcrResult
from ocr_engine.budget import Budget
from ocr_engine.errors import DeadlineExceeded, InputTooLarge, TooManyPages

from . import providers
from .aws import s3_client, sqs_client
from .drop_folder import ERROR, RESULT
from .logs import logger
from .models import DropError, DropResult, DropSource, ErrorDetail

ETAG_METADATA = "source-etag"  # x-amz-meta-source-etag on every output


class Transient(Exception):
    """Worth another try: the message goes back to the queue (and, in the end, the DLQ)."""


# the cold start: built here, once per process (a warm Lambda reuses them)
settings = providers.settings()
folder = providers.folder()
engine = providers.engine()
MODEL = providers.model()
MODEL_LABEL = MODEL.label  # how hOCR and ALTO name the model
# whether the message being handled is on its last delivery before the dead-letter queue
_last_delivery: ContextVar[bool] = ContextVar("last_delivery", default=False)
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
    """One message: an S3 notification, or a range of a long document (fanout.py). Any
    exception returns it to the queue (a bug, after maxReceiveCount, parks it in the
    dead-letter queue)."""
    receives = int((record.raw_event.get("attributes") or {}).get("ApproximateReceiveCount") or 1)
    last_delivery = _last_delivery.set(receives >= settings.max_receive_count)
    try:
        body = record.json_body
        if fanout.RANGE in body:
            fanout.process_range(fanout.RangeTask.from_message(body), lambda_context)
        for obj in _objects_in(body):
            process(obj, lambda_context)
    except Transient as exc:
        logger.warning("transient failure, message returns to the queue", extra={"reason": str(exc)})
        raise
    except Exception:
        logger.exception("unexpected failure", extra={"message_id": record.message_id})
        raise
    finally:
        _last_delivery.reset(last_delivery)


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
    head = s3_call("head_object", absent=(404,), Bucket=obj.bucket, Key=obj.key)
    if head is None:
        logger.info("gone before it was read", extra={"key": obj.key})
        return
    etag = head["ETag"].strip('"')
    if obj.etag and obj.etag.strip('"') != etag:
        logger.info("a newer version replaced it; its own event will read it", extra={"key": obj.key})
        return
    if already_done(obj.bucket, base, etag):
        logger.info("duplicate delivery, outputs exist", extra={"key": obj.key})
        return
    source = DropSource(bucket=obj.bucket, key=obj.key, etag=etag, size=head["ContentLength"])
    request_id = getattr(context, "aws_request_id", None) or uuid.uuid4().hex
    if head["ContentLength"] > folder.max_object_bytes:
        write_error(base, source, request_id, ErrorDetail(**InputTooLarge(
            f"the file is {head['ContentLength']:,} bytes; the limit is {folder.max_object_bytes:,}").to_dict()))
        return
    data = read_source(obj.bucket, obj.key, etag)
    if data is None:
        logger.info("changed or gone while being read", extra={"key": obj.key})
        return
    try:
        # with fan-out on, a document longer than that is refused from its header (nothing
        # rendered yet), and the refusal's page count is what fans it out
        max_pages = min(folder.fanout_pages, engine.settings.max_pages) if folder.queue_url is not None else None
        started = time.perf_counter()
        try:
            result = read_before_deadline(data, context, max_pages=max_pages)
        except TooManyPages as exc:
            if exc.pages is None or not folder.fans_out(exc.pages):
                raise
            if exc.pages > folder.max_fanout_pages:
                raise TooManyPages(f"the document has {exc.pages} pages; the limit is {folder.max_fanout_pages}",
                                   pages=exc.pages) from None
            fanout.fan_out(source, exc.pages)
            return
        elapsed = time.perf_counter() - started
    except OcrError as exc:
        write_error(base, source, request_id, ErrorDetail(**exc.to_dict()))
        return
    write_result(base, source, request_id, result, elapsed, lambda: data)


def read_source(bucket: str, key: str, etag: str) -> bytes | None:
    """The bytes of that version of the file; None when it changed or went meanwhile."""
    got = s3_call("get_object", absent=(404, 412), Bucket=bucket, Key=key, IfMatch=f'"{etag}"')
    return None if got is None else _read_body(got)


def read_before_deadline(data: bytes, context, **read_options) -> OcrResult:
    """The engine's read, stopping between pages (as a transient failure: the message
    returns) well before the Lambda deadline rather than being killed mid-write."""
    budget = None
    if context is not None:
        budget = Budget.within((context.get_remaining_time_in_millis() - folder.deadline_margin_ms) / 1000)
    try:
        return engine.read(data, mode="auto", budget=budget, **read_options)
    except DeadlineExceeded as exc:
        if _last_delivery.get():
            raise  # no retry is left to finish it: the caller writes the `timeout` error
        raise Transient(f"too close to the Lambda deadline: {exc.message}") from exc


def already_done(bucket: str, base: str, etag: str) -> bool:
    for suffix in (RESULT, ERROR):
        head = s3_call("head_object", absent=(404,), Bucket=bucket, Key=base + suffix)
        if head is not None and head.get("Metadata", {}).get(ETAG_METADATA) == etag:
            return True
    return False


def write_result(base: str, source: DropSource, request_id: str, result: OcrResult, elapsed: float,
                 source_bytes: Callable[[], bytes | None]) -> bool:
    """The outputs, the .json last; False when another worker's .json landed first (a long
    document's two last ranges finishing together: the .json is written only if absent).
    `source_bytes` is called only when a format needs them (the searchable PDF)."""
    try:
        data = b""
        if any(fmt.needs_source for fmt in folder.renderings):
            data = source_bytes()
            if data is None:
                logger.info("changed or gone before its outputs were written", extra={"key": source.key})
                return False
        outputs = folder.render(result, data, source_name=source.key.rsplit("/", 1)[-1], model=MODEL_LABEL)
    except OcrError as exc:
        return write_error(base, source, request_id, ErrorDetail(**exc.to_dict()))
    body = DropResult.of(result, elapsed, MODEL, request_id, source=source)
    for output in outputs:
        _put(source, base + output.suffix, output.body, output.media_type)
    # what an earlier setting wrote for an earlier version of the file must not pass for this one's
    for stale in set(folder.every_suffix()) - {RESULT, *(o.suffix for o in outputs)}:
        s3_call("delete_object", absent=(404,), Bucket=source.bucket, Key=base + stale)
    # the .json is written last: its presence (with this ETag) means done
    document = body.model_dump_json(exclude_none=True).encode()
    if not _put(source, base + RESULT, document, "application/json", final=True):
        return False
    s3_call("delete_object", absent=(404,), Bucket=source.bucket, Key=base + ERROR)
    return True


def write_error(base: str, source: DropSource, request_id: str, error: ErrorDetail) -> bool:
    logger.info("cannot read the file", extra={"key": source.key, "code": error.code})
    body = DropError(error=error, request_id=request_id, source=source)
    if not _put(source, base + ERROR, body.model_dump_json().encode(), "application/json", final=True):
        return False
    for stale in folder.every_suffix():  # every format's, whatever OCR_OUTPUT_FORMATS says now
        s3_call("delete_object", absent=(404,), Bucket=source.bucket, Key=base + stale)
    return True


def _put(source: DropSource, key: str, body: bytes, content_type: str, final: bool = False) -> bool:
    """Write one output, unless an earlier try at this source (same ETag) already did: a try
    that failed between two writes (S3 throttling past the SDK's retries) returns its message,
    and the retry writes only what is missing. A `final` output (.json, .error.json) is
    written only over what was there when looked at (If-None-Match / If-Match): of two
    workers that race to write it, one does. Returns whether this call wrote it."""
    written = s3_call("head_object", absent=(404,), Bucket=source.bucket, Key=key)
    if written is not None and written.get("Metadata", {}).get(ETAG_METADATA) == source.etag:
        return False
    condition = ({"IfMatch": written["ETag"]} if written else {"IfNoneMatch": "*"}) if final else {}
    return s3_call("put_object", absent=(412,), Bucket=source.bucket, Key=key, Body=body, ContentType=content_type,
                   Metadata={ETAG_METADATA: source.etag}, **condition) is not None


def sqs_call(operation: str, **params) -> dict:
    """One SQS call; any failure is Transient."""
    try:
        return getattr(sqs_client(), operation)(**params)
    except (ClientError, BotoCoreError) as exc:
        raise Transient(f"SQS {operation}: {exc}") from exc


def _read_body(got: dict) -> bytes:
    try:
        return got["Body"].read()
    except BotoCoreError as exc:  # the connection dropped mid-download
        raise Transient(str(exc)) from exc


def s3_call(operation: str, absent: tuple[int, ...] = (), **params) -> dict | None:
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


from . import fanout  # noqa: E402  (last: fanout reads this module's names when it runs)
