"""The worker Lambda: files dropped under the input prefix of a bucket are read by the
engine and the results are written back next to them, under the output prefix.

Events: SQS batches whose bodies are S3 notifications (the deployed path: S3 -> SQS ->
Lambda, answered with partial batch failures by Powertools' BatchProcessor) and plain S3
notifications (direct or local invoke). `incoming/a/b.png` -> `results/a/b.png.json`
(+ the other OCR_OUTPUT_FORMATS: `.txt`, `.pdf`, `.hocr.html`, `.alto.xml`), or
`.error.json` for a file that cannot be read. Outputs carry the source's ETag in their
metadata: a duplicate delivery finds them and writes nothing; a new version of the key is
read again.

The entry point and the per-record flow only: S3 and SQS calls are the store's
(drop_store.py), reading and writing a document the reader's (reader.py), long documents
fan-out's (fanout.py); what they run on is built once, at the cold start (providers.py)."""

from __future__ import annotations

import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote_plus

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes import S3Event, SQSRecord

from ocr_engine import OcrError
from ocr_engine.errors import InputTooLarge, TooManyPages
from ocr_engine.page_ranges import count_pages, page_indices

from . import fanout, providers
from .drop_store import DropStore, Transient
from .events import EventSender
from .logs import logger
from .metrics import metrics, record_init
from .models import DropSource, ErrorDetail
from .options import FORMATS_METADATA
from .reader import DropReader

# a batch whose every message failed is answered like any other: each returns to the queue
batch = BatchProcessor(event_type=EventType.SQS, raise_on_entire_batch_failure=False)


@dataclass(frozen=True)
class S3Object:
    bucket: str
    key: str
    etag: str | None


@dataclass(frozen=True)
class Worker:
    """The per-record flow. `reader` holds what it reads and writes with (the engine, the
    layout, the store, the model); `max_receive_count` is how many deliveries the queue makes
    before it parks a message in its dead-letter queue."""

    reader: DropReader
    max_receive_count: int

    @classmethod
    def of_process(cls) -> "Worker":
        """The process's: the providers' settings, layout, engine and model, aws.py's clients."""
        settings = providers.settings()
        reader = DropReader(providers.engine(), providers.folder(), DropStore(), providers.model(),
                            EventSender(settings.event_bus))
        return cls(reader, settings.max_receive_count)

    def handle(self, event: dict, context) -> Mapping[str, Any]:
        records = event.get("Records") or []
        if records and records[0].get("eventSource") == "aws:sqs":
            return process_partial_response(event=event, record_handler=self._sqs_record, processor=batch,
                                            context=context)
        failures = []
        for obj in _objects_in(event):
            try:
                self.process(obj, context)
            except Transient as exc:
                failures.append(f"{obj.key}: {exc}")
        if failures:  # a direct invocation is retried as a whole by Lambda
            raise RuntimeError("transient failures: " + "; ".join(failures))
        return {"processed": len(records)}

    def _sqs_record(self, record: SQSRecord, lambda_context=None) -> None:
        """One message: an S3 notification, or a range of a long document (fanout.py). Any
        exception returns it to the queue (a bug, after maxReceiveCount, parks it in the
        dead-letter queue)."""
        receives = int((record.raw_event.get("attributes") or {}).get("ApproximateReceiveCount") or 1)
        # on its last delivery before the dead-letter queue, a read the deadline stops is the file's error
        last_delivery = receives >= self.max_receive_count
        try:
            body = record.json_body
            if fanout.RANGE in body:
                fanout.process_range(self.reader, fanout.RangeTask.from_message(body), lambda_context, last_delivery)
            for obj in _objects_in(body):
                self.process(obj, lambda_context, last_delivery)
        except Transient as exc:
            logger.warning("transient failure, message returns to the queue", extra={"reason": str(exc)})
            raise
        except Exception:
            logger.exception("unexpected failure", extra={"message_id": record.message_id})
            raise

    def process(self, obj: S3Object, context, last_delivery: bool = False) -> None:
        folder, store, engine = self.reader.folder, self.reader.store, self.reader.engine
        base = folder.output_base(obj.key)
        if base is None:
            logger.info("ignored: outside the input prefix, or a folder", extra={"key": obj.key})
            return
        head = store.head(obj.bucket, obj.key)
        if head is None:
            logger.info("gone before it was read", extra={"key": obj.key})
            return
        etag = head["ETag"].strip('"')
        if obj.etag and obj.etag.strip('"') != etag:
            logger.info("a newer version replaced it; its own event will read it", extra={"key": obj.key})
            return
        if store.already_done(obj.bucket, base, etag):
            logger.info("duplicate delivery, outputs exist", extra={"key": obj.key})
            return
        source = DropSource(bucket=obj.bucket, key=obj.key, etag=etag, size=head["ContentLength"])
        request_id = getattr(context, "aws_request_id", None) or uuid.uuid4().hex
        if head["ContentLength"] > folder.max_object_bytes:
            self.reader.write_error(base, source, request_id, ErrorDetail(**InputTooLarge(
                f"the file is {head['ContentLength']:,} bytes; the limit is {folder.max_object_bytes:,}").to_dict()))
            return
        data = store.read_source(obj.bucket, obj.key, etag)
        if data is None:
            logger.info("changed or gone while being read", extra={"key": obj.key})
            return
        try:
            # with fan-out on, a document longer than that is refused from its header (nothing
            # rendered yet), and the refusal's page count is what fans it out
            max_pages = min(folder.fanout_pages, engine.settings.max_pages) if folder.queue_url is not None else None
            metadata = head.get("Metadata") or {}
            options = self.reader.file_options(metadata)
            renderings = self.reader.renderings_of(metadata.get(FORMATS_METADATA))
            selected = options.get("page_range")
            if selected is not None and folder.queue_url is not None:
                # a few pages of a long document are read here; more are fanned out, which the
                # document's page count (refused from its header) does
                max_pages = 1 if count_pages(selected) > folder.fanout_pages else folder.max_fanout_pages
            started = time.perf_counter()
            try:
                result = self.reader.read(data, context, last_delivery, max_pages=max_pages, **options)
            except TooManyPages as exc:
                if exc.pages is None or not (folder.fans_out(exc.pages) or selected is not None):
                    raise
                if exc.pages > folder.max_fanout_pages:
                    raise TooManyPages(f"the document has {exc.pages} pages; the limit is {folder.max_fanout_pages}",
                                       pages=exc.pages) from None
                numbers = None if selected is None else [i + 1 for i in page_indices(selected, exc.pages)]
                fanout.fan_out(store, folder, source, exc.pages, numbers, options["text_layer"],
                               metadata.get(FORMATS_METADATA))
                return
            elapsed = time.perf_counter() - started
        except OcrError as exc:
            self.reader.write_error(base, source, request_id, ErrorDetail(**exc.to_dict()))
            return
        self.reader.write_result(base, source, request_id, result, elapsed, lambda: data, renderings)


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


# the cold start: settings, layout, engine and model are built here, once per process (a
# warm Lambda reuses them)
worker = Worker.of_process()


@logger.inject_lambda_context
@metrics.log_metrics(capture_cold_start_metric=True)
def handler(event: dict, context) -> Mapping[str, Any]:
    record_init()
    return worker.handle(event, context)
