"""`POST /api/v1/ocr`: an image or a small PDF in, its text, lines and boxes out."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Literal

import anyio
from fastapi import APIRouter, Request

from ocr_engine import MODES, OcrResult
from ocr_engine.budget import Budget
from ocr_engine import errors as engine_errors

from ..dependencies import MODEL, engine, inference_slots, request_id_of, settings
from ..errors import MissingFile, MultipleFiles, PayloadTooLarge, openapi_responses
from ..models import OcrResponse
from ..uploads import MULTIPART_OVERHEAD, parse_multipart, read_body

FILE_FIELDS = ("image", "file")  # the form field that holds the file: `image` as in the seed's curl example
RAW_TYPES = ("image/", "application/pdf", "application/octet-stream")  # a raw body's accepted types (prefixes)
_BINARY = {"type": "string", "format": "binary", "description": "PNG, JPEG, TIFF, BMP, WebP, GIF or PDF"}

# Written from the tuples above, which the code checks, so the schema lists what is accepted.
OCR_REQUEST_BODY = {
    "required": True,
    "content": {
        "multipart/form-data": {
            "schema": {
                "type": "object",
                "properties": {**{name: _BINARY for name in FILE_FIELDS},
                               "mode": {"type": "string", "enum": list(MODES), "default": "auto"}},
                "oneOf": [{"required": [name]} for name in FILE_FIELDS],
            }
        },
        **{(t + "*" if t.endswith("/") else t): {"schema": _BINARY} for t in RAW_TYPES},
    },
}

router = APIRouter()


@router.post(
    "/api/v1/ocr",
    response_model=OcrResponse,
    responses=openapi_responses(),
    openapi_extra={"requestBody": OCR_REQUEST_BODY},
    summary="Read the text of an image or a small PDF",
)
async def ocr(request: Request, mode: Literal["auto", "line", "page"] | None = None) -> OcrResponse:
    data, form_mode = await _upload(request)
    chosen = form_mode or mode or "auto"  # the engine checks it, before any work
    started = time.perf_counter()
    try:
        result = await _read_unless_client_leaves(
            request, lambda budget: engine.read(data, mode=chosen, budget=budget, max_pages=settings.sync_max_pages)
        )
    except engine_errors.TooManyPages as exc:
        raise engine_errors.TooManyPages(f"{exc.message} of a synchronous request; send longer documents "
                                         "through the async jobs API (POST /api/v1/jobs)") from None
    elapsed = time.perf_counter() - started
    request.state.log_fields = {
        "bytes": len(data),
        "pixels": sum(p.width * p.height for p in result.pages),
        "lines": len(result.lines),
        "pages": len(result.pages),
        "mode": chosen,
        "elapsed_ms": round(elapsed * 1000, 1),
    }
    return OcrResponse.of(result, elapsed, MODEL, request_id_of(request))


async def _read_unless_client_leaves(request: Request, read: Callable[[Budget], OcrResult]) -> OcrResult:
    """`read(budget)` on an inference thread, within the synchronous budget; a client that
    disconnects cancels it at the engine's next check (behind API Gateway the request is
    whole before it runs, and the budget alone bounds it)."""
    budget = Budget.within(settings.sync_budget_s)
    failure: Exception | None = None
    async with anyio.create_task_group() as watchers:
        if "aws.event" not in request.scope:
            watchers.start_soon(_cancel_when_client_leaves, request, budget)
        try:
            result = await anyio.to_thread.run_sync(lambda: read(budget), limiter=inference_slots)
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


async def _upload(request: Request) -> tuple[bytes, str | None]:
    """The file's bytes and the form's `mode`, from a multipart form or a raw body."""
    content_type = request.headers.get("content-type", "").lower()
    limit = settings.sync_max_bytes
    if content_type.startswith("multipart/form-data"):
        body = await read_body(request, limit + MULTIPART_OVERHEAD)
        if not body:
            raise engine_errors.EmptyInput("the request has no body; send the file in the form field `image`")
        parts = parse_multipart(body, request.headers["content-type"])
        unknown = sorted({p.name for p in parts} - {*FILE_FIELDS, "mode"})
        if unknown:
            raise engine_errors.InvalidParameter(f"unknown form field(s) {', '.join(map(repr, unknown))}; send `image` and optionally `mode`")
        files = [p for p in parts if p.name in FILE_FIELDS]
        if not files:
            raise MissingFile("no file in the form: send it in the field `image`")
        if len(files) > 1:
            raise MultipleFiles("send one file per request (one `image` field)")
        modes = [p for p in parts if p.name == "mode"]
        if len(modes) > 1:
            raise engine_errors.InvalidParameter("send `mode` once")
        data = bytes(files[0].data)
        if len(data) > limit:
            raise PayloadTooLarge.over(limit)
        return data, (modes[0].data.decode("utf-8", "replace").strip() if modes else None)
    if not content_type or content_type.startswith(RAW_TYPES):
        data = await read_body(request, limit)
        if not data:
            raise engine_errors.EmptyInput("the request has no body: send an image or a PDF")
        return data, None
    raise engine_errors.UnsupportedMediaType(
        f"content type {content_type.split(';')[0]!r} is not accepted: send multipart/form-data "
        "(field `image`), an image/* or application/pdf body, or application/octet-stream"
    )

