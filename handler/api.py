"""The HTTP API: a FastAPI app, served by uvicorn locally and by Mangum on Lambda.

Thin: read the upload (limits enforced while reading), call the engine off the event
loop, answer with the pydantic models below (they are the OpenAPI schema). The engine is
created at import, so a warm Lambda never reloads the models."""

from __future__ import annotations

import hmac
import json
import logging
import os
import time
import unicodedata
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import anyio
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, JSONResponse
from fastapi.staticfiles import StaticFiles
from mangum import Mangum
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException as StarletteHTTPException

from ocr_engine import MODES, OcrEngine, OcrError, OcrResult, Settings
from ocr_engine import errors as engine_errors
from ocr_engine.runtime import limit_malloc_arenas
from ocr_engine.settings import available_cores

from .aws import s3_client
from .drop_folder import DropFolder
from .models import ErrorDetail, ErrorResponse, HealthResponse, ModelOut, OcrResponse, ocr_response
from .uploads import MULTIPART_OVERHEAD, UploadError, parse_multipart, read_body, too_large

WEB = Path(__file__).with_name("web")
FILE_FIELDS = ("image", "file")
RAW_TYPES = ("image/", "application/pdf", "application/octet-stream")


@dataclass(frozen=True)
class ApiSettings:
    sync_max_bytes: int  # OCR_SYNC_MAX_BYTES: Lambda caps a request at 6 MB, ~4.4 MB of file in base64
    api_key: str | None  # OCR_API_KEY: when set, /api/ needs header x-api-key
    inference_workers: int  # OCR_INFERENCE_WORKERS: reads at once (default: one per core)
    bucket: str | None  # OCR_BUCKET: the drop-folder bucket behind the jobs API
    upload_expiry_s: int  # OCR_JOB_UPLOAD_EXPIRY: lifetime of a presigned upload URL

    @classmethod
    def from_env(cls) -> "ApiSettings":
        return cls(
            sync_max_bytes=int(os.environ.get("OCR_SYNC_MAX_BYTES") or 4 * 1024 * 1024),
            api_key=os.environ.get("OCR_API_KEY") or None,
            inference_workers=int(os.environ.get("OCR_INFERENCE_WORKERS") or available_cores()),
            bucket=os.environ.get("OCR_BUCKET") or None,
            upload_expiry_s=int(os.environ.get("OCR_JOB_UPLOAD_EXPIRY") or 900),
        )


# --- logging: one JSON object per line, never image content --------------------


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = {"level": record.levelname, "message": record.getMessage(), "logger": record.name}
        entry.update(getattr(record, "fields", {}))
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)


log = logging.getLogger("ocr.api")
if not log.handlers:
    _handler = logging.StreamHandler()
    _handler.setFormatter(JsonFormatter())
    log.addHandler(_handler)
    log.setLevel(os.environ.get("LOG_LEVEL", "INFO"))
    log.propagate = False

# --- the app --------------------------------------------------------------------

# a long-running server: flat RSS matters more than the few % one arena costs (runtime.py)
limit_malloc_arenas()
settings = ApiSettings.from_env()
engine = OcrEngine(settings=Settings.from_env())
folder = DropFolder.from_env()  # the jobs API writes into the worker's input prefix
MODEL = ModelOut.of(engine.pack)
inference_slots = anyio.CapacityLimiter(settings.inference_workers)

STATUS_BY_ERROR = {
    engine_errors.EmptyInput: 400,
    engine_errors.InvalidImage: 400,
    engine_errors.InvalidDocument: 400,
    engine_errors.EncryptedDocument: 400,
    engine_errors.ImageTooSmall: 400,
    engine_errors.UnsupportedMediaType: 415,
    engine_errors.InputTooLarge: 413,
    engine_errors.ImageTooLarge: 413,
    engine_errors.TooManyPages: 413,
    engine_errors.TooManyLines: 413,
    engine_errors.InvalidParameter: 422,
}
ERROR_RESPONSES = {status: {"model": ErrorResponse} for status in (400, 401, 413, 415, 422, 429, 500)}

app = FastAPI(
    title="OCR API (Chinese + English)",
    version="0.1.0",
    description="Text, line boxes and confidences from an image or a small PDF.",
)
app.mount("/static", StaticFiles(directory=WEB), name="static")


def request_id_of(request: Request) -> str:
    if not hasattr(request.state, "request_id"):
        context = request.scope.get("aws.event", {}).get("requestContext", {}) or {}
        request.state.request_id = context.get("requestId") or uuid.uuid4().hex
    return request.state.request_id


def error_response(request: Request, status: int, code: str, message: str) -> JSONResponse:
    body = ErrorResponse(error=ErrorDetail(code=code, message=message), request_id=request_id_of(request))
    return JSONResponse(body.model_dump(), status_code=status)


def stage_prefix(scope: dict) -> str:
    """What API Gateway's URL puts before the app's own paths (a REST API's stage: `/prod`),
    so that /docs finds /openapi.json behind it; empty locally and on an HTTP API's $default."""
    event = scope.get("aws.event") or {}
    client_path = (event.get("requestContext") or {}).get("path") or ""
    own_path = event.get("path") or ""
    if own_path and client_path != own_path and client_path.endswith(own_path):
        return client_path[: len(client_path) - len(own_path)].rstrip("/")
    return ""


@app.middleware("http")
async def request_context(request: Request, call_next):
    started = time.perf_counter()
    request_id = request_id_of(request)
    if prefix := stage_prefix(request.scope):
        request.scope["root_path"] = prefix
    if settings.api_key and request.url.path.startswith("/api/"):
        given = request.headers.get("x-api-key", "")
        if not hmac.compare_digest(given.encode(), settings.api_key.encode()):
            response = error_response(request, 401, "unauthorized", "a valid x-api-key header is required")
            response.headers["X-Request-Id"] = request_id
            return response
    response = await call_next(request)
    response.headers["X-Request-Id"] = request_id
    fields = {
        "request_id": request_id,
        "method": request.method,
        "path": request.url.path,
        "status": response.status_code,
        "latency_ms": round((time.perf_counter() - started) * 1000, 1),
    }
    fields.update(getattr(request.state, "log_fields", {}))
    log.info("request", extra={"fields": fields})
    return response


@app.exception_handler(OcrError)
async def on_engine_error(request: Request, exc: OcrError):
    return error_response(request, STATUS_BY_ERROR.get(type(exc), 400), exc.code, exc.message)


@app.exception_handler(UploadError)
async def on_upload_error(request: Request, exc: UploadError):
    return error_response(request, exc.status, exc.code, exc.message)


@app.exception_handler(RequestValidationError)
async def on_validation_error(request: Request, exc: RequestValidationError):
    problems = "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors())
    return error_response(request, 422, "invalid_parameter", problems[:500])


@app.exception_handler(StarletteHTTPException)
async def on_http_error(request: Request, exc: StarletteHTTPException):
    code = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "http_error")
    return error_response(request, exc.status_code, code, str(exc.detail))


@app.exception_handler(Exception)
async def on_bug(request: Request, exc: Exception):
    log.error("unhandled error", exc_info=exc, extra={"fields": {"request_id": request_id_of(request)}})
    return error_response(request, 500, "internal_error", "an internal error occurred; quote the request id to report it")


# --- routes ---------------------------------------------------------------------

OCR_REQUEST_BODY = {
    "required": True,
    "content": {
        "multipart/form-data": {
            "schema": {
                "type": "object",
                "required": ["image"],
                "properties": {
                    "image": {"type": "string", "format": "binary", "description": "PNG, JPEG, TIFF, BMP, WebP, GIF or PDF"},
                    "mode": {"type": "string", "enum": list(MODES), "default": "auto"},
                },
            }
        },
        **{t: {"schema": {"type": "string", "format": "binary"}} for t in ("image/png", "image/jpeg", "application/pdf", "application/octet-stream")},
    },
}


@app.post(
    "/api/v1/ocr",
    response_model=OcrResponse,
    response_model_exclude_none=True,  # `pages` for documents only, width/height for images only
    responses=ERROR_RESPONSES,
    openapi_extra={"requestBody": OCR_REQUEST_BODY},
    summary="Read the text of an image or a small PDF",
)
async def ocr(request: Request, mode: Literal["auto", "line", "page"] | None = None) -> OcrResponse:
    data, form_mode = await _upload(request)
    chosen = form_mode or mode or "auto"
    if chosen not in MODES:
        raise engine_errors.InvalidParameter(f"mode must be one of {', '.join(MODES)}, not {chosen!r}")
    started = time.perf_counter()
    result = await anyio.to_thread.run_sync(lambda: engine.read(data, mode=chosen), limiter=inference_slots)
    elapsed = time.perf_counter() - started
    request.state.log_fields = {
        "bytes": len(data),
        "pixels": sum(p.width * p.height for p in result.pages),
        "lines": len(result.lines),
        "pages": len(result.pages),
        "mode": chosen,
        "elapsed_ms": round(elapsed * 1000, 1),
    }
    return _response(result, elapsed, request_id_of(request))


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
            raise UploadError(400, "missing_file", "no file in the form: send it in the field `image`")
        if len(files) > 1:
            raise UploadError(400, "multiple_files", "send one file per request (one `image` field)")
        modes = [p for p in parts if p.name == "mode"]
        if len(modes) > 1:
            raise engine_errors.InvalidParameter("send `mode` once")
        data = bytes(files[0].data)
        if len(data) > limit:
            raise too_large(limit)
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


def _response(result: OcrResult, elapsed: float, request_id: str) -> OcrResponse:
    return OcrResponse(**ocr_response(result, elapsed, MODEL, request_id))


# --- async jobs through the drop folder --------------------------------------------

JOB_CONTENT_TYPES = (
    "application/octet-stream", "application/pdf", "image/png", "image/jpeg",
    "image/tiff", "image/bmp", "image/webp", "image/gif",
)


class JobRequest(BaseModel):
    filename: str | None = Field(None, max_length=1024, description="the file's name; only a sanitised base name is kept")
    content_type: Literal[JOB_CONTENT_TYPES] = "application/octet-stream"  # type: ignore[valid-type]


class JobUpload(BaseModel):
    url: str
    method: Literal["PUT"] = "PUT"
    headers: dict[str, str]


class JobCreated(BaseModel):
    job_id: str
    upload: JobUpload
    status_url: str
    expires_in: int


class JobStatus(BaseModel):
    job_id: str
    status: Literal["pending", "done", "failed"]
    result: dict | None = None
    error: ErrorDetail | None = None


def _jobs_bucket() -> str:
    if not settings.bucket:
        raise UploadError(503, "jobs_unavailable", "the jobs API needs a bucket (OCR_BUCKET is not set)")
    return settings.bucket


@app.post("/api/v1/jobs", response_model=JobCreated, status_code=201, responses=ERROR_RESPONSES,
          summary="Start an async job: returns a presigned URL to PUT the file to")
async def create_job(request: Request, job: JobRequest | None = None) -> JobCreated:
    bucket = _jobs_bucket()
    job = job or JobRequest()
    job_id = str(uuid.uuid4())
    key = f"{folder.input_prefix}jobs/{job_id}/{safe_name(job.filename)}"
    url = s3_client().generate_presigned_url(
        "put_object",
        Params={"Bucket": bucket, "Key": key, "ContentType": job.content_type},
        ExpiresIn=settings.upload_expiry_s,
    )
    return JobCreated(
        job_id=job_id,
        upload=JobUpload(url=url, headers={"Content-Type": job.content_type}),
        status_url=f"/api/v1/jobs/{job_id}",
        expires_in=settings.upload_expiry_s,
    )


@app.get("/api/v1/jobs/{job_id}", response_model=JobStatus, response_model_exclude_none=True,
         responses=ERROR_RESPONSES, summary="A job's status, and its result once done")
async def job_status(job_id: uuid.UUID) -> JobStatus:
    bucket = _jobs_bucket()
    return await anyio.to_thread.run_sync(lambda: _read_job(bucket, str(job_id)))


def _read_job(bucket: str, job_id: str) -> JobStatus:
    """The job's state from what the worker wrote: `.error.json` failed, `.json` done,
    the upload alone pending, nothing at all unknown."""
    s3 = s3_client()
    listing = s3.list_objects_v2(Bucket=bucket, Prefix=f"{folder.output_prefix}jobs/{job_id}/", MaxKeys=10)
    outputs = sorted(o["Key"] for o in listing.get("Contents", []))
    for suffix, status in ((".error.json", "failed"), (".json", "done")):
        for key in outputs:
            if key.endswith(suffix):
                body = json.loads(s3.get_object(Bucket=bucket, Key=key)["Body"].read())
                if status == "failed":
                    return JobStatus(job_id=job_id, status=status, error=ErrorDetail(**body["error"]))
                return JobStatus(job_id=job_id, status=status, result=body)
    uploaded = s3.list_objects_v2(Bucket=bucket, Prefix=f"{folder.input_prefix}jobs/{job_id}/", MaxKeys=1)
    if not uploaded.get("KeyCount"):
        raise StarletteHTTPException(404, f"no job {job_id} (or its file was never uploaded)")
    return JobStatus(job_id=job_id, status="pending")


def safe_name(filename: str | None) -> str:
    """A base name that is safe as the last part of an S3 key: no folders, no control or
    unusual characters, not empty, not dots only."""
    name = unicodedata.normalize("NFKC", (filename or "").replace("\\", "/")).rsplit("/", 1)[-1]
    name = "".join(c if c.isalnum() or c in "._-" else "_" for c in name).strip("._")[:100]
    return name or "upload"


@app.get("/healthz", response_model=HealthResponse, summary="Liveness and the model pack in use")
async def healthz() -> HealthResponse:
    return HealthResponse(ready=True, model=MODEL)


@app.get("/", include_in_schema=False)
async def index() -> FileResponse:
    return FileResponse(WEB / "index.html", media_type="text/html")


handler = Mangum(app, lifespan="off")
