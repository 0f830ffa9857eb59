"""The service's own settings (the API's and the drop folder's) with their defaults, written
once, here, and the fixed folders of the drop folder. Light on purpose (pydantic only, no
engine): the deployed environment (lambda_env.py), and through it the CDK stack, read the
defaults without loading ONNX Runtime or OpenCV. config.py's ServiceSettings adds these
fields to the engine's and reads them from `OCR_*` variables."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

# A file's own read options, as S3 object metadata (x-amz-meta-ocr-pages: 1-3,7): the jobs
# API signs them into the upload, and any file dropped in the input prefix may carry them
PAGES_METADATA, TEXT_LAYER_METADATA = "ocr-pages", "ocr-text-layer"
FORMATS_METADATA = "ocr-formats"  # the jobs API's `formats`: what the drop folder writes for that file
JOBS = "jobs/"  # the jobs API's files live under <prefix>jobs/<job id>/
# A fanned-out document's manifest and parts: <output prefix>.parts/<key>/<source ETag>/
PARTS = ".parts/"


class ServiceOptions(BaseModel):
    #: Largest file of a synchronous request: Lambda caps a request at 6 MB, ~4.4 MB of file
    #: once base64-encoded; larger files go through the jobs API.
    sync_max_bytes: int = Field(4 * 1024 * 1024, gt=0)
    #: A synchronous read stops with 504 `timeout` after this many seconds (API Gateway gives
    #: up at 29 s, and the Lambda would go on burning).
    sync_budget_s: float = Field(25.0, gt=0)
    #: Most pages of a document read synchronously; longer ones go through the jobs API (413).
    sync_max_pages: int = Field(20, gt=0)
    #: When set, /api/ needs the header x-api-key (deployed, API Gateway checks the keys).
    api_key: str | None = None
    #: Reads at once in the API (0 = one per available core).
    inference_workers: int = Field(0, ge=0)
    #: The drop folder's bucket (the worker finds it in its events; the jobs API needs it).
    bucket: str | None = None
    #: Lifetime of a job's presigned upload URL, seconds.
    job_upload_expiry: int = Field(900, gt=0)
    #: Lifetime of the presigned download URLs in a done job's `outputs`, seconds.
    job_download_expiry: int = Field(900, gt=0)
    #: A done job's status carries its `result` inline only while the result's .json is at
    #: most this many bytes (Lambda answers at most 6 MB); past it, `outputs.json` is the way.
    job_inline_max_bytes: int = Field(1024 * 1024, ge=0)
    #: The EventBridge bus (name or ARN) the worker announces each finished document on.
    event_bus: str = "default"
    #: Where the drop folder reads files from...
    input_prefix: str = "incoming/"
    #: ...and writes their results to (outputs never trigger processing again).
    output_prefix: str = "results/"
    #: The worker stops taking pages this long before the Lambda deadline, milliseconds.
    deadline_margin_ms: int = Field(20_000, ge=0)
    #: What the drop folder writes for each file, comma-separated: json, txt (or text), hocr,
    #: alto, pdf, md (or markdown) (ocr_engine/formats). The .json is always written, last: it
    #: marks the file done.
    output_formats: str = "json,txt"
    #: Whether the drop folder finds each page's tables (pages[].tables in the .json; the
    #: tables stage, ocr_engine/tables). On whatever this says when OCR_OUTPUT_FORMATS lists md.
    tables: bool = False
    #: Which PDF pages the drop folder reads from their own text layer: auto (those whose text
    #: layer holds their text; the others are OCRed), ignore (OCR every page) or only (OCR
    #: nothing). A file's x-amz-meta-ocr-text-layer (the jobs API's `text_layer`) overrides it.
    text_layer: Literal["auto", "ignore", "only"] = "auto"
    #: Deliveries of a message before the queue parks it in its dead-letter queue (the stack
    #: sets it from the queue's maxReceiveCount): on the last one, a read the Lambda deadline
    #: stops is the file's `timeout` error, not another retry.
    max_receive_count: int = Field(3, gt=0)
    #: The drop folder's queue: a long document is split into page ranges sent to it (the
    #: stack sets it; unset, every document is read by one worker, up to OCR_MAX_PAGES).
    queue_url: str | None = None
    #: Documents of more pages than this are split into ranges read by several workers...
    fanout_pages: int = Field(20, gt=0)
    #: ...of this many pages each...
    range_pages: int = Field(10, gt=0)
    #: ...up to this many pages in all (OCR_MAX_PAGES stays the limit of one worker's read).
    max_fanout_pages: int = Field(3000, gt=0)


def default(name: str):
    """A setting's default: what lambda_env.py and the stack write, defined once, here."""
    return ServiceOptions.model_fields[name].default
