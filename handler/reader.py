"""What the per-record flow (s3.py) and fan-out (fanout.py) share: the parts a worker reads
and writes with (the engine, the drop folder's layout, the store, the model), the engine's
read stopped before the Lambda deadline, and a result's outputs rendered and written."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from ocr_engine import OcrEngine, OcrError, OcrResult
from ocr_engine.budget import Budget
from ocr_engine.errors import DeadlineExceeded
from ocr_engine.page_ranges import parse_pages

from .drop_folder import DropFolderLayout
from .drop_store import DropStore, Transient
from .logs import logger
from .models import DropResult, DropSource, ErrorDetail, ModelOut
from .options import PAGES_METADATA, TEXT_LAYER_METADATA


@dataclass(frozen=True)
class DropReader:
    engine: OcrEngine
    folder: DropFolderLayout
    store: DropStore
    model: ModelOut

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
            return self.engine.read(data, mode="auto", budget=budget, **read_options)
        except DeadlineExceeded as exc:
            if last_delivery:
                raise  # no retry is left to finish it: the caller writes the `timeout` error
            raise Transient(f"too close to the Lambda deadline: {exc.message}") from exc

    def file_options(self, metadata: dict[str, str]) -> dict:
        """A file's own read options from its S3 metadata (the jobs API's `pages` and
        `text_layer`): `page_range` and `text_layer` for `read`. A malformed one is the
        file's InvalidParameter."""
        options: dict = {"text_layer": metadata.get(TEXT_LAYER_METADATA) or self.folder.text_layer}
        if metadata.get(PAGES_METADATA):
            options["page_range"] = parse_pages(metadata[PAGES_METADATA])
        return options

    def write_result(self, base: str, source: DropSource, request_id: str, result: OcrResult, elapsed: float,
                     source_bytes: Callable[[], bytes | None]) -> bool:
        """The outputs in every configured format, the .json last (DropStore.write_outputs);
        False when they were not written. `source_bytes` is called only when a format needs
        them (the searchable PDF). A format that cannot be rendered is the file's error."""
        try:
            data = b""
            if any(fmt.needs_source for fmt in self.folder.renderings):
                fetched = source_bytes()
                if fetched is None:
                    logger.info("changed or gone before its outputs were written", extra={"key": source.key})
                    return False
                data = fetched
            outputs = self.folder.render(result, data, source_name=source.key.rsplit("/", 1)[-1],
                                         model=self.model.label)
        except OcrError as exc:
            return self.store.write_error(base, source, request_id, ErrorDetail(**exc.to_dict()))
        body = DropResult.of(result, elapsed, self.model, request_id, source=source)
        return self.store.write_outputs(base, source, outputs, body.model_dump_json(exclude_none=True).encode())
