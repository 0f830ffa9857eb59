"""Long documents read by many workers at once, through the drop folder's own queue.

A document of more than OCR_FANOUT_PAGES pages is not read by the worker that takes its
S3 event: that worker writes a manifest (its page count and ranges) under
`<output prefix>.parts/<key>/<ETag>/` and sends one message per range of OCR_RANGE_PAGES
pages to the queue. Whichever worker takes a range reads those pages and writes them as
a part beside the manifest (or the range's error), then looks whether every range has
its part; the one that sees them all assembles the document's outputs, the `.json` last
and conditionally (If-None-Match, or If-Match on the previous version's), so that exactly
one assembly lands when two ranges finish together; the winner removes the parts.

Nothing is lost and nothing doubled when a message is delivered twice (a part that exists
is not read again; the outputs are written once), when a worker dies mid-range (its
message returns, and the range is read again), or when the fan-out itself is retried
(ranges sent twice are read once). Only S3 and SQS hold the state."""

from __future__ import annotations

import json
import time
import uuid
from dataclasses import asdict, dataclass

from ocr_engine import OcrError, OcrResult
from ocr_engine.result import Page

from . import s3 as worker  # its engine, layout and S3 calls, looked up when used (tests replace the layout)
from .drop_folder import MANIFEST, PageRange, part_name, part_range
from .logs import logger
from .models import DropSource, ErrorDetail

RANGE = "ocr_range"  # an SQS message whose body is {"ocr_range": {...}} asks for one range of a document
SEND_BATCH = 10  # SQS's SendMessageBatch limit


@dataclass(frozen=True)
class RangeTask:
    bucket: str
    key: str
    etag: str
    first: int
    last: int

    @property
    def pages(self) -> PageRange:
        return self.first, self.last

    @classmethod
    def from_message(cls, body: dict) -> "RangeTask":
        return cls(**body[RANGE])


def fan_out(source: DropSource, pages: int) -> None:
    """The manifest, then a message per range. Safe to repeat: a retried fan-out sends the
    ranges again, and a range whose part exists is not read again."""
    prefix = worker.folder.parts_prefix(source.key, source.etag)
    ranges = worker.folder.ranges(pages)
    manifest = {"source": source.model_dump(), "pages": pages, "ranges": ranges}
    _put_json(source.bucket, prefix + MANIFEST, manifest)
    tasks = [RangeTask(source.bucket, source.key, source.etag, first, last) for first, last in ranges]
    messages = [{"Id": str(i), "MessageBody": json.dumps({RANGE: asdict(task)})} for i, task in enumerate(tasks)]
    for start in range(0, len(messages), SEND_BATCH):
        sent = worker.sqs_call("send_message_batch", QueueUrl=worker.folder.queue_url,
                               Entries=messages[start : start + SEND_BATCH])
        if sent.get("Failed"):
            raise worker.Transient(f"the queue refused {len(sent['Failed'])} range message(s)")
    logger.info("document fanned out", extra={"key": source.key, "pages": pages, "ranges": len(ranges)})


def process_range(task: RangeTask, context) -> None:
    request_id = getattr(context, "aws_request_id", None) or uuid.uuid4().hex
    base = worker.folder.output_base(task.key)
    if base is None or worker.already_done(task.bucket, base, task.etag):
        return
    prefix = worker.folder.parts_prefix(task.key, task.etag)
    if not _range_read(task, prefix):
        data = worker.read_source(task.bucket, task.key, task.etag)
        if data is None:
            logger.info("the document changed or went before its range was read", extra={"key": task.key})
            return
        _read_range(task, prefix, data, context)
    assemble_if_complete(task, prefix, request_id)


def _read_range(task: RangeTask, prefix: str, data: bytes, context) -> None:
    started = time.perf_counter()
    try:
        result = worker.read_before_deadline(data, context, page_range=task.pages,
                                             max_pages=worker.folder.max_fanout_pages)
    except OcrError as exc:  # the range's error; the document's .error.json will name its pages
        body, failed = {"error": exc.to_dict()}, True
    else:
        elapsed = time.perf_counter() - started
        body, failed = {"pages": [page.to_dict() for page in result.pages], "elapsed_time": elapsed}, False
    _put_json(task.bucket, prefix + part_name(task.pages, failed), body)


def _range_read(task: RangeTask, prefix: str) -> bool:
    """Whether the range's part (or its error) is written: a redelivered range is not read again."""
    keys = (prefix + part_name(task.pages, failed) for failed in (False, True))
    return any(worker.s3_call("head_object", absent=(404,), Bucket=task.bucket, Key=key) for key in keys)


def assemble_if_complete(task: RangeTask, prefix: str, request_id: str) -> None:
    keys = _keys_under(task.bucket, prefix)
    if prefix + MANIFEST not in keys:
        return  # assembled, and its parts removed, by another worker
    manifest = _json(task.bucket, prefix + MANIFEST)
    parts = {found[0]: (key, found[1]) for key in keys if (found := part_range(key)) is not None}
    ranges = [tuple(r) for r in manifest["ranges"]]
    missing = [r for r in ranges if r not in parts]
    if missing:
        logger.info("range read; the document waits for others",
                    extra={"key": task.key, "pages": task.pages, "ranges_left": len(missing)})
        return
    source = DropSource(**manifest["source"])
    base = worker.folder.output_base(source.key)
    failures = [(r, parts[r][0]) for r in ranges if parts[r][1]]
    if failures:
        (first, last), key = failures[0]
        error = ErrorDetail(**_json(task.bucket, key)["error"])
        more = f" (and {len(failures) - 1} more range(s))" if len(failures) > 1 else ""
        written = worker.write_error(base, source, request_id, ErrorDetail(
            code=error.code, message=f"pages {first}-{last}{more}: {error.message}"))
    else:
        bodies = [_json(task.bucket, parts[r][0]) for r in ranges]
        result = OcrResult([Page.from_dict(page) for body in bodies for page in body["pages"]], is_document=True)
        elapsed = sum(body["elapsed_time"] for body in bodies)
        written = worker.write_result(base, source, request_id, result, elapsed,
                                      lambda: worker.read_source(source.bucket, source.key, source.etag))
    if written:
        _delete(task.bucket, keys)
        logger.info("document assembled",
                    extra={"key": source.key, "pages": manifest["pages"], "failed_ranges": len(failures)})


def _keys_under(bucket: str, prefix: str) -> list[str]:
    keys, token = [], None
    while True:
        more = {"ContinuationToken": token} if token else {}
        listing = worker.s3_call("list_objects_v2", Bucket=bucket, Prefix=prefix, **more)
        keys += [o["Key"] for o in listing.get("Contents", [])]
        token = listing.get("NextContinuationToken")
        if not token:
            return keys


def _put_json(bucket: str, key: str, body: dict) -> None:
    worker.s3_call("put_object", Bucket=bucket, Key=key, Body=json.dumps(body, ensure_ascii=False).encode(),
                   ContentType="application/json")


def _json(bucket: str, key: str) -> dict:
    got = worker.s3_call("get_object", Bucket=bucket, Key=key)
    return json.loads(got["Body"].read())


def _delete(bucket: str, keys: list[str]) -> None:
    for start in range(0, len(keys), 1000):  # DeleteObjects' limit
        batch = [{"Key": key} for key in keys[start : start + 1000]]
        worker.s3_call("delete_objects", Bucket=bucket, Delete={"Objects": batch, "Quiet": True})
