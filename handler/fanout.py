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
from ocr_engine.formats import output_formats
from ocr_engine.result import Page

from .drop_folder import MANIFEST, DropFolderLayout, PageRange, part_name, part_range
from .drop_store import DropStore
from .logs import logger
from .metrics import record_count
from .models import DropSource, ErrorDetail
from .reader import DropReader

RANGE = "ocr_range"  # an SQS message whose body is {"ocr_range": {...}} asks for one range of a document


@dataclass(frozen=True)
class RangeTask:
    bucket: str
    key: str
    etag: str
    first: int
    last: int
    text_layer: str | None = None  # the file's own (its metadata's); None: OCR_TEXT_LAYER
    tables: bool | None = None  # True: the file's own formats write tables (Markdown); None: OCR_TABLES

    @property
    def pages(self) -> PageRange:
        return self.first, self.last

    @classmethod
    def from_message(cls, body: dict) -> "RangeTask":
        return cls(**body[RANGE])


def fan_out(store: DropStore, folder: DropFolderLayout, source: DropSource, pages: int,
            selected: list[int] | None = None, text_layer: str | None = None, formats: str | None = None) -> None:
    """The manifest, then a message per range (of the `selected` pages only, when given).
    Safe to repeat: a retried fan-out sends the ranges again, and a range whose part exists
    is not read again. The manifest's `pages` are the pages to read; its `formats` the
    file's own (x-amz-meta-ocr-formats), which the assembly writes."""
    prefix = folder.parts_prefix(source.key, source.etag)
    ranges = folder.ranges(pages, selected)
    manifest = {"source": source.model_dump(), "pages": pages if selected is None else len(selected), "ranges": ranges,
                "formats": formats}
    store.put_json(source.bucket, prefix + MANIFEST, manifest)
    tables = True if formats and any(fmt.wants_tables for fmt in output_formats(formats)) else None
    tasks = [RangeTask(source.bucket, source.key, source.etag, first, last, text_layer, tables)
             for first, last in ranges]
    assert folder.queue_url is not None  # should_fan_out() is False without a queue
    store.send_ranges(folder.queue_url, [json.dumps({RANGE: asdict(task)}) for task in tasks])
    record_count("DocumentsFannedOut")
    record_count("FanoutRanges", len(ranges))
    logger.info("document fanned out", extra={"key": source.key, "pages": pages, "ranges": len(ranges)})


def process_range(reader: DropReader, task: RangeTask, context, last_delivery: bool = False) -> None:
    request_id = getattr(context, "aws_request_id", None) or uuid.uuid4().hex
    base = reader.folder.output_base(task.key)
    if base is None or reader.store.already_done(task.bucket, base, task.etag):
        return
    prefix = reader.folder.parts_prefix(task.key, task.etag)
    if not _range_read(reader.store, task, prefix):
        data = reader.store.read_source(task.bucket, task.key, task.etag)
        if data is None:
            logger.info("the document changed or went before its range was read", extra={"key": task.key})
            return
        _read_range(reader, task, prefix, data, context, last_delivery)
    assemble_if_complete(reader, task, prefix, request_id)


def _read_range(reader: DropReader, task: RangeTask, prefix: str, data: bytes, context, last_delivery: bool) -> None:
    started = time.perf_counter()
    body: dict
    try:
        layer: dict = {"text_layer": task.text_layer} if task.text_layer else {}
        if task.tables:
            layer["tables"] = True
        result = reader.read(data, context, last_delivery, page_range=task.pages,
                             max_pages=reader.folder.max_fanout_pages, **layer)
    except OcrError as exc:  # the range's error; the document's .error.json will name its pages
        body, failed = {"error": exc.to_dict()}, True
        record_count("RangesFailed")
    else:
        elapsed = time.perf_counter() - started
        body, failed = {"pages": [page.to_dict() for page in result.pages], "elapsed_time": elapsed}, False
    reader.store.put_json(task.bucket, prefix + part_name(task.pages, failed), body)


def _range_read(store: DropStore, task: RangeTask, prefix: str) -> bool:
    """Whether the range's part (or its error) is written: a redelivered range is not read again."""
    keys = (prefix + part_name(task.pages, failed) for failed in (False, True))
    return any(store.head(task.bucket, key) for key in keys)


def assemble_if_complete(reader: DropReader, task: RangeTask, prefix: str, request_id: str) -> None:
    store = reader.store
    keys = store.keys_under(task.bucket, prefix)
    if prefix + MANIFEST not in keys:
        return  # assembled, and its parts removed, by another worker
    manifest = store.json(task.bucket, prefix + MANIFEST)
    parts = {found[0]: (key, found[1]) for key in keys if (found := part_range(key)) is not None}
    ranges = [tuple(r) for r in manifest["ranges"]]
    missing = [r for r in ranges if r not in parts]
    if missing:
        logger.info("range read; the document waits for others",
                    extra={"key": task.key, "pages": task.pages, "ranges_left": len(missing)})
        return
    source = DropSource(**manifest["source"])
    base = reader.folder.output_base(source.key)
    assert base is not None  # the manifest's source is a key that process() read
    failures = [(r, parts[r][0]) for r in ranges if parts[r][1]]
    if failures:
        (first, last), key = failures[0]
        error = ErrorDetail(**store.json(task.bucket, key)["error"])
        more = f" (and {len(failures) - 1} more range(s))" if len(failures) > 1 else ""
        written = reader.write_error(base, source, request_id, ErrorDetail(
            code=error.code, message=f"pages {first}-{last}{more}: {error.message}"))
    else:
        bodies = [store.json(task.bucket, parts[r][0]) for r in ranges]
        result = OcrResult([Page.from_dict(page) for body in bodies for page in body["pages"]], is_document=True)
        elapsed = sum(body["elapsed_time"] for body in bodies)
        try:
            renderings = reader.renderings_of(manifest.get("formats"))
        except OcrError as exc:  # the file's formats, checked when it was fanned out: a bug if it happens
            written = reader.write_error(base, source, request_id, ErrorDetail(**exc.to_dict()))
        else:
            written = reader.write_result(base, source, request_id, result, elapsed,
                                          lambda: store.read_source(source.bucket, source.key, source.etag), renderings)
    if written:
        store.delete(task.bucket, keys)
        logger.info("document assembled",
                    extra={"key": source.key, "pages": manifest["pages"], "failed_ranges": len(failures)})
