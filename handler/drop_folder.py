"""The drop folder's layout, shared by the worker (which writes it) and the jobs API (which
reads it): where a file's outputs go, what they are called, and what they say of a job."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from ocr_engine import OcrResult
from ocr_engine.formats import FORMATS, OutputFormat, output_formats

from .config import ServiceSettings
from .options import JOBS, PARTS

RESULT, TEXT, ERROR = FORMATS["json"].suffix, FORMATS["text"].suffix, ".error.json"  # appended to a key's output base
MANIFEST = "manifest.json"
PageRange = tuple[int, int]  # first and last page, 1-based, inclusive


@dataclass(frozen=True)
class Output:
    """One file the drop folder writes for an input besides its .json (OCR_OUTPUT_FORMATS)."""

    suffix: str
    body: bytes
    media_type: str


@dataclass(frozen=True)
class DropFolderLayout:
    input_prefix: str
    output_prefix: str
    max_object_bytes: int  # the engine's OCR_MAX_BYTES
    deadline_margin_ms: int  # stop taking pages this long before the Lambda deadline
    queue_url: str | None = None  # where page ranges are sent; None: no fan-out
    fanout_pages: int = 20
    range_pages: int = 10
    max_fanout_pages: int = 3000
    renderings: tuple[OutputFormat, ...] = (FORMATS["text"],)  # OCR_OUTPUT_FORMATS less the .json
    text_layer: str = "auto"  # OCR_TEXT_LAYER
    tables: bool = False  # OCR_TABLES, or a rendering that writes tables (Markdown)

    @classmethod
    def of(cls, settings: ServiceSettings) -> "DropFolderLayout":
        return cls(settings.input_prefix, settings.output_prefix, settings.max_bytes, settings.deadline_margin_ms,
                   settings.queue_url, settings.fanout_pages, settings.range_pages, settings.max_fanout_pages,
                   renderings=(renderings := tuple(f for f in output_formats(settings.output_formats)
                                                   if f.render is not None)),
                   text_layer=settings.text_layer,
                   tables=settings.tables or any(fmt.wants_tables for fmt in renderings))

    def render(self, result: OcrResult, source: bytes, source_name: str, model: str,
               renderings: tuple[OutputFormat, ...] | None = None) -> list[Output]:
        """The outputs besides the .json, in the configured order (or the file's own
        `renderings`): renderers need only the result and the source's bytes (a page range's
        result renders the same way). A renderer's OcrError is the file's: the worker writes
        it as the .error.json."""
        outputs = []
        for fmt in self.renderings if renderings is None else renderings:
            assert fmt.render is not None  # of() keeps the formats that have a renderer
            outputs.append(Output(fmt.suffix, fmt.render(result, source, source_name=source_name, model=model),
                                  fmt.media_type))
        return outputs

    @staticmethod
    def every_suffix() -> list[str]:
        """The suffixes of every output some setting can produce, the .json last."""
        return [f.suffix for f in FORMATS.values() if f.render is not None] + [RESULT]

    def fans_out(self, pages: int) -> bool:
        return self.queue_url is not None and pages > self.fanout_pages

    def ranges(self, pages: int, selected: list[int] | None = None) -> list[PageRange]:
        """The ranges a document of `pages` pages is read in; only its `selected` pages (1-based) when given."""
        if selected is None:
            step = self.range_pages
            return [(first, min(first + step - 1, pages)) for first in range(1, pages + 1, step)]
        runs: list[PageRange] = []
        for start in range(0, len(selected), self.range_pages):  # range_pages pages a task, in runs of pages
            chunk = selected[start : start + self.range_pages]
            first = previous = chunk[0]
            for number in chunk[1:]:
                if number != previous + 1:
                    runs.append((first, previous))
                    first = number
                previous = number
            runs.append((first, previous))
        return runs

    def parts_prefix(self, key: str, etag: str) -> str:
        """Where the manifest and the parts of one version of `key` go (under the output
        prefix: never processed; the lifecycle rule of the outputs expires what is left)."""
        return f"{self.output_prefix}{PARTS}{key[len(self.input_prefix):]}/{etag}/"

    def job_parts(self, job_id: str) -> str:
        return f"{self.output_prefix}{PARTS}{JOBS}{job_id}/"

    def output_base(self, key: str) -> str | None:
        """Where the outputs of `key` go, or None for keys that must not be processed
        (outside the input prefix, folder markers): the loop guard."""
        if not key.startswith(self.input_prefix) or key.endswith("/") or key == self.input_prefix:
            return None
        return self.output_prefix + key[len(self.input_prefix) :]

    def job_id(self, key: str) -> str | None:
        """The id of the job whose upload `key` is; None for a plain drop."""
        prefix = self.input_prefix + JOBS
        return key[len(prefix):].split("/", 1)[0] if key.startswith(prefix) else None

    def job_upload_key(self, job_id: str, name: str) -> str:
        return f"{self.input_prefix}{JOBS}{job_id}/{name}"

    def job_inputs(self, job_id: str) -> str:
        return f"{self.input_prefix}{JOBS}{job_id}/"

    def job_outputs(self, job_id: str) -> str:
        return f"{self.output_prefix}{JOBS}{job_id}/"


def job_state(output_keys: list[str]) -> tuple[Literal["failed", "done", "pending"], str | None]:
    """A job's state from the keys under its outputs: failed (with the `.error.json`), done
    (with the result `.json`), or pending (nothing yet). Suffixes are matched whole: an
    error file also ends in `.json`."""
    errors = sorted(k for k in output_keys if k.endswith(ERROR))
    if errors:
        return "failed", errors[0]
    results = sorted(k for k in output_keys if k.endswith(RESULT) and not k.endswith(ERROR))
    if results:
        return "done", results[0]
    return "pending", None


def part_name(page_range: PageRange, failed: bool = False) -> str:
    first, last = page_range
    return f"pages-{first:05d}-{last:05d}" + (ERROR if failed else RESULT)


def part_range(key: str) -> tuple[PageRange, bool] | None:
    """The page range of a part's key and whether it is a failure; None for other keys."""
    name = key.rsplit("/", 1)[-1]
    if not name.startswith("pages-"):
        return None
    failed = name.endswith(ERROR)
    stem = name[: -len(ERROR if failed else RESULT)]
    first, last = stem.split("-")[1:3]
    return (int(first), int(last)), failed
