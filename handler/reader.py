"""What the per-record flow (s3.py) and fan-out (fanout.py) share: the parts a worker reads
and writes with (the engine, the drop folder's layout, the store, the model, the events),
the engine's read stopped before the Lambda deadline, and a result's outputs (or its
error) rendered, written and, once written, announced (events.py) and counted (metrics.py)."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from ocr_engine import OcrEngine, OcrError, OcrResult
from ocr_engine.budget import Budget
from ocr_engine.errors import DeadlineExceeded
from ocr_engine.formats import OutputFormat, output_formats
from ocr_engine.page_ranges import parse_pages

from .drop_folder import ERROR, RESULT, DropFolderLayout
from .drop_store import DropStore, Transient
from .events import EventSender
from .job_outputs import output_name
from .logs import logger
from .metrics import record_count, record_duration, record_error, record_read
from .models import DropResult, DropSource, ErrorDetail, ModelOut
from .options import FORMATS_METADATA, PAGES_METADATA, TEXT_LAYER_METADATA
from .tracing import epoch_of, span, stages


@dataclass(frozen=True)
class DropReader:
    engine: OcrEngine
    folder: DropFolderLayout
    store: DropStore
    model: ModelOut
    events: EventSender | None = None  # None: no events (a test's worker, unless it asks)

    def read(self, data: bytes, context, last_delivery: bool = False, **read_options) -> OcrResult:
        """The engine's read, stopping between pages (as a transient failure: the message
        returns) well before the Lambda deadline rather than being killed mid-write. On the
        message's `last_delivery` before the dead-letter queue, the deadline's error stands."""
        read_options.setdefault("text_layer", self.folder.text_layer)
        read_options.setdefault("tables", self.folder.tables)
        budget = None
        if context is not None:
            budget = Budget.within((context.get_remaining_time_in_millis() - self.folder.deadline_margin_ms) / 1000)
        try:
            started = time.perf_counter()
            with span("read"):
                result = self.engine.read(data, mode="auto", budget=budget, **read_options)
                stages(result.timings, epoch_of(started))
            record_read(result, len(data))
            return result
        except DeadlineExceeded as exc:
            if last_delivery:
                raise  # no retry is left to finish it: the caller writes the `timeout` error
            raise Transient(f"too close to the Lambda deadline: {exc.message}") from exc

    def file_options(self, metadata: dict[str, str]) -> dict:
        """A file's own read options from its S3 metadata (the jobs API's `pages` and
        `text_layer`): `page_range` and `text_layer` for `read`. A malformed one is the
        file's InvalidParameter."""
        options: dict = {"text_layer": metadata.get(TEXT_LAYER_METADATA) or self.folder.text_layer}
        if any(fmt.wants_tables for fmt in self.renderings_of(metadata.get(FORMATS_METADATA)) or ()):
            options["tables"] = True  # the file's own formats write tables (the jobs API's formats=md)
        if metadata.get(PAGES_METADATA):
            options["page_range"] = parse_pages(metadata[PAGES_METADATA])
        return options

    @staticmethod
    def renderings_of(names: str | None) -> tuple[OutputFormat, ...] | None:
        """A file's own formats (the jobs API's `formats`, as x-amz-meta-ocr-formats) less the
        .json; None: the drop folder's OCR_OUTPUT_FORMATS. An unknown one is InvalidParameter."""
        return None if not names else tuple(fmt for fmt in output_formats(names) if fmt.render is not None)

    def write_result(self, base: str, source: DropSource, request_id: str, result: OcrResult, elapsed: float,
                     source_bytes: Callable[[], bytes | None],
                     renderings: tuple[OutputFormat, ...] | None = None) -> bool:
        """The outputs in every configured format (or the file's own `renderings`), the .json
        last (DropStore.write_outputs); False when they were not written. `source_bytes` is
        called only when a format needs them (the searchable PDF). A format that cannot be
        rendered is the file's error."""
        renderings = self.folder.renderings if renderings is None else renderings
        try:
            data = b""
            if any(fmt.needs_source for fmt in renderings):
                fetched = source_bytes()
                if fetched is None:
                    logger.info("changed or gone before its outputs were written", extra={"key": source.key})
                    return False
                data = fetched
            started = time.perf_counter()
            with span("formats"):
                outputs = self.folder.render(result, data, source_name=source.key.rsplit("/", 1)[-1],
                                             model=self.model.label, renderings=renderings)
            record_duration("FormatsTime", time.perf_counter() - started)
        except OcrError as exc:
            return self.write_error(base, source, request_id, ErrorDetail(**exc.to_dict()))
        body = DropResult.of(result, elapsed, self.model, request_id, source=source)
        with span("write"):
            written = self.store.write_outputs(base, source, outputs, body.model_dump_json(exclude_none=True).encode(),
                                               pages=len(result.pages))
        if not written:
            return False
        record_count("DocumentsCompleted")
        if self.events is not None:
            formats = {"json": base + RESULT, **{output_name(fmt): base + fmt.suffix for fmt in renderings}}
            self.events.completed(source, self.folder.job_id(source.key), len(result.pages), formats)
        return True

    def write_error(self, base: str, source: DropSource, request_id: str, error: ErrorDetail) -> bool:
        """The file's .error.json (DropStore.write_error); once written, counted by its code and announced."""
        if not self.store.write_error(base, source, request_id, error):
            return False
        record_count("DocumentsFailed")
        record_error(error.code)
        if self.events is not None:
            self.events.failed(source, self.folder.job_id(source.key), error, base + ERROR)
        return True
