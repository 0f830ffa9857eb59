"""`POST /api/v1/ocr`: an image or a small PDF in, its text, lines and boxes out: JSON, or plain text, hOCR,
ALTO XML, a searchable PDF or Markdown (the `format` parameter or the Accept header, handler/negotiation.py)."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Literal

import anyio
from fastapi import APIRouter, Query, Request, Response

from ocr_engine import MODES, OcrResult
from ocr_engine import errors as engine_errors
from ocr_engine.budget import Budget
from ocr_engine.formats import FORMATS, NAMES, OutputFormat
from ocr_engine.text_layer import TEXT_LAYER_MODES

from ..dependencies import EngineDep, ModelDep, SettingsDep, SlotsDep, request_id_of
from ..errors import MissingFile, MultipleFiles, PayloadTooLarge, ResponseTooLarge, openapi_responses
from ..models import OcrResponse
from ..negotiation import chosen_format
from ..page_images import PAGE_IMAGES_HELP, add_page_images
from ..read_options import JOBS_HINT, ReadOptions
from ..uploads import MULTIPART_OVERHEAD, parse_multipart, read_body

FILE_FIELDS = ("image", "file")  # the form field that holds the file: `image` as in the seed's curl example
OPTION_FIELDS = ("mode", "format", "pages", "text_layer", "tables", "page_images")  # a form may send them too
RAW_TYPES = ("image/", "application/pdf", "application/octet-stream")  # a raw body's accepted types (prefixes)
PAGES_HELP = "pages of a document to read, such as 1-3,7 (numbered as in the document); all when absent"
TEXT_LAYER_HELP = ("auto (the default): a PDF page whose own text layer holds its text is read from it, the others "
                   "are OCRed; ignore: OCR every page; only: read the text layer alone, OCR nothing")
TABLES_HELP = "find the pages' tables (pages[].tables); format=markdown finds them whatever this says"
_BINARY = {"type": "string", "format": "binary", "description": "PNG, JPEG, TIFF, BMP, WebP, GIF or PDF"}

# Written from the tuples above, which the code checks, so the schema lists what is accepted.
OCR_REQUEST_BODY = {
    "required": True,
    "content": {
        "multipart/form-data": {
            "schema": {
                "type": "object",
                "properties": {**{name: _BINARY for name in FILE_FIELDS},
                               "mode": {"type": "string", "enum": list(MODES), "default": "auto"},
                               "format": {"type": "string", "enum": list(NAMES), "default": "json"},
                               "pages": {"type": "string", "description": PAGES_HELP},
                               "text_layer": {"type": "string", "enum": list(TEXT_LAYER_MODES), "default": "auto"},
                               "tables": {"type": "boolean", "default": False, "description": TABLES_HELP},
                               "page_images": {"type": "boolean", "default": False, "description": PAGE_IMAGES_HELP}},
                "oneOf": [{"required": [name]} for name in FILE_FIELDS],
            }
        },
        **{(t + "*" if t.endswith("/") else t): {"schema": _BINARY} for t in RAW_TYPES},
    },
}

# Every rendering the route answers with besides JSON (the response model), for OpenAPI.
OTHER_RESPONSES = {
    fmt.media_type.split(";")[0]: {"schema": {"type": "string", **({"format": "binary"} if fmt.binary else {})}}
    for fmt in FORMATS.values() if fmt.name != "json"
}
FORMAT_HELP = ("json (the default), text, hocr (hOCR HTML), alto (ALTO XML v4), pdf (the PDF, or the image as "
               "a PDF page, with an invisible text layer) or markdown (GFM, tables as pipe tables); without it, the "
               "Accept header chooses: application/json, text/plain, text/html (hOCR), application/xml or "
               "application/alto+xml (ALTO), application/pdf, text/markdown")
MAX_RESPONSE_BYTES = 6 * 1024 * 1024 - 64 * 1024  # Lambda's 6 MB answer (binary: base64), less headers and envelope

router = APIRouter()


@router.post(
    "/api/v1/ocr",
    response_model=OcrResponse,
    responses={**openapi_responses(),
               200: {"description": "The text, lines and boxes; in the format asked for", "content": OTHER_RESPONSES}},
    openapi_extra={"requestBody": OCR_REQUEST_BODY},
    summary="Read the text of an image or a small PDF",
)
async def ocr(request: Request, response: Response, engine: EngineDep, settings: SettingsDep, model: ModelDep,
              slots: SlotsDep, mode: Literal["auto", "line", "page"] | None = None,
              output: Literal[NAMES] | None = Query(  # type: ignore[valid-type]
                  None, alias="format", description=FORMAT_HELP),
              pages: str | None = Query(None, description=PAGES_HELP),
              text_layer: Literal["auto", "ignore", "only"] | None = Query(None, description=TEXT_LAYER_HELP),
              tables: bool | None = Query(None, description=TABLES_HELP),
              page_images: bool | None = Query(None, description=PAGE_IMAGES_HELP)):
    response.headers["Vary"] = "Accept"  # the JSON answer's; _rendered sets its own
    data, fields = await _upload(request, settings.sync_max_bytes)
    query = {"mode": mode, "pages": pages, "text_layer": text_layer, "tables": tables, "page_images": page_images}
    options = ReadOptions.of(fields, query, settings.sync_max_pages)
    fmt = chosen_format(fields.get("format") or output, request.headers.get("accept"))
    started = time.perf_counter()
    try:
        result = await _read_unless_client_leaves(
            request, lambda budget: engine.read(data, mode=options.mode, budget=budget, max_pages=options.max_pages,
                                                page_range=options.page_range, text_layer=options.text_layer,
                                                tables=options.tables or fmt.wants_tables),
            Budget.within(settings.sync_budget_s), slots,
        )
    except engine_errors.TooManyPages as exc:
        raise engine_errors.TooManyPages(f"{exc.message} of a synchronous request; {JOBS_HINT}") from None
    elapsed = time.perf_counter() - started
    request.state.log_fields = {
        "bytes": len(data),
        "pixels": sum(p.width * p.height for p in result.pages),
        "lines": len(result.lines),
        "pages": len(result.pages),
        "mode": options.mode,
        "format": fmt.name,
        "text_pages": sum(p.source == "text" for p in result.pages),
        "elapsed_ms": round(elapsed * 1000, 1),
        "stages_ms": {stage: round(seconds * 1000, 2) for stage, seconds in result.timings.items()},
    }
    if fmt.render is None:
        answer = OcrResponse.of(result, elapsed, model, request_id_of(request))
        return await add_page_images(answer, data, engine.settings, options, MAX_RESPONSE_BYTES, slots)
    return await _rendered(fmt, result, data, model.label, slots)


async def _rendered(fmt: OutputFormat, result: OcrResult, data: bytes, model: str,
                    slots: anyio.CapacityLimiter) -> Response:
    """`result` in `fmt`, rendered on an inference thread (a PDF takes a while)."""
    render = fmt.render
    assert render is not None  # JSON is answered without a renderer
    body = await anyio.to_thread.run_sync(lambda: render(result, data, model=model), limiter=slots)
    size = len(body) * 4 // 3 if fmt.binary else len(body)
    if size > MAX_RESPONSE_BYTES:
        raise ResponseTooLarge(f"the {fmt.name} answer would be {size:,} bytes, more than a synchronous answer "
                               f"carries ({MAX_RESPONSE_BYTES:,}); send the file through the async jobs API (POST "
                               f"/api/v1/jobs): the drop folder writes {fmt.name} when OCR_OUTPUT_FORMATS lists it")
    return Response(body, media_type=fmt.media_type, headers={"Vary": "Accept"})


async def _read_unless_client_leaves(request: Request, read: Callable[[Budget], OcrResult], budget: Budget,
                                     slots: anyio.CapacityLimiter) -> OcrResult:
    """`read(budget)` on an inference thread, within the synchronous `budget`; a client that
    disconnects cancels it at the engine's next check (behind API Gateway the request is
    whole before it runs, and the budget alone bounds it)."""
    failure: Exception | None = None
    async with anyio.create_task_group() as watchers:
        if "aws.event" not in request.scope:
            watchers.start_soon(_cancel_when_client_leaves, request, budget)
        try:
            result = await anyio.to_thread.run_sync(lambda: read(budget), limiter=slots)
        except Exception as exc:  # raised below, outside the group (which would wrap it in an ExceptionGroup)
            failure = exc
        finally:
            watchers.cancel_scope.cancel()
    if failure is not None:
        raise failure
    return result


async def _cancel_when_client_leaves(request: Request, budget: Budget) -> None:
    """The body has been read, so the next ASGI message is the disconnect: wait for it (a
    polling peek can miss it while the server is not reading the socket)."""
    while (await request.receive())["type"] != "http.disconnect":
        pass
    budget.cancelled.set()


async def _upload(request: Request, limit: int) -> tuple[bytes, dict[str, str]]:
    """The file's bytes (at most `limit`) and the form's option fields (`mode`, `format`),
    from a multipart form or a raw body."""
    content_type = request.headers.get("content-type", "").lower()
    if content_type.startswith("multipart/form-data"):
        body = await read_body(request, limit + MULTIPART_OVERHEAD)
        if not body:
            raise engine_errors.EmptyInput("the request has no body; send the file in the form field `image`")
        parts = parse_multipart(body, request.headers["content-type"])
        unknown = sorted({p.name for p in parts} - {*FILE_FIELDS, *OPTION_FIELDS})
        if unknown:
            raise engine_errors.InvalidParameter(f"unknown form field(s) {', '.join(map(repr, unknown))}; send `image` "
                                                 f"and optionally {', '.join(OPTION_FIELDS)}")
        files = [p for p in parts if p.name in FILE_FIELDS]
        if not files:
            raise MissingFile("no file in the form: send it in the field `image`")
        if len(files) > 1:
            raise MultipleFiles("send one file per request (one `image` field)")
        fields = {}
        for name in OPTION_FIELDS:
            values = [p for p in parts if p.name == name]
            if len(values) > 1:
                raise engine_errors.InvalidParameter(f"send `{name}` once")
            if values:
                fields[name] = values[0].data.decode("utf-8", "replace").strip()
        data = bytes(files[0].data)
        if len(data) > limit:
            raise PayloadTooLarge.over(limit)
        return data, fields
    if not content_type or content_type.startswith(RAW_TYPES):
        data = await read_body(request, limit)
        if not data:
            raise engine_errors.EmptyInput("the request has no body: send an image or a PDF")
        return data, {}
    raise engine_errors.UnsupportedMediaType(
        f"content type {content_type.split(';')[0]!r} is not accepted: send multipart/form-data "
        "(field `image`), an image/* or application/pdf body, or application/octet-stream"
    )

