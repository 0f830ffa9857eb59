"""The HTTP API: a FastAPI app, served by uvicorn locally and by Mangum on Lambda.

Assembly only: the routers (`routes/`), the middleware (API key, API Gateway's stage
prefix, the access log), and the one place errors become responses (`errors.py`'s table).
Thin routes: read the upload (limits enforced while reading), call the engine off the
event loop, answer with the pydantic models in `models.py` (they are the OpenAPI schema).
What the routes run on comes from providers.py through Depends (dependencies.py)."""

from __future__ import annotations

import hmac
import time

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.staticfiles import StaticFiles
from mangum import Mangum
from starlette.datastructures import MutableHeaders
from starlette.exceptions import HTTPException as StarletteHTTPException

from ocr_engine import OcrError
from ocr_engine.errors import InvalidParameter

from . import providers
from .dependencies import inference_slots, request_id_of
from .errors import InternalError, Unauthorized, from_http_status, status_of
from .logs import logger
from .metrics import metrics, record_init, record_request
from .models import ErrorDetail, ErrorResponse
from .routes import jobs, ocr, web
from .tracing import epoch_of, stages

# the cold start: Mangum's lifespan is off, so the settings, the engine and the model are
# built here, at import, once per process (a warm Lambda never reloads the models)
providers.engine()
providers.model()
providers.folder()
inference_slots()

app = FastAPI(
    title="OCR API (Chinese + English)",
    version="0.1.0",
    description="Text, line boxes and confidences from an image or a small PDF.",
    docs_url=None,  # routes/web.py serves /docs from a pinned package, not a CDN
    redoc_url=None,
)
# no redirect from /healthz/ to /healthz: Starlette builds it from the Host header, which a
# client can forge (an open redirect); a path with a slash too many is not found
app.router.redirect_slashes = False
app.mount("/static", StaticFiles(directory=web.WEB), name="static")
app.mount("/swagger", StaticFiles(directory=web.SWAGGER_UI), name="swagger")

# The page has no inline script or style and talks to its own origin only; nothing may frame it,
# open it in a shared browsing context (COOP) or embed its answers from another site (CORP:
# a fetch with CORS is not affected). HSTS is set at the edge (docs/deploy.md), not here.
SECURITY_HEADERS = {
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Resource-Policy": "same-origin",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(), payment=(), usb=()",
    "Content-Security-Policy": "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' blob: data:; "
                               "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; "
                               "frame-ancestors 'none'",
}


def secure(headers, request_id: str, path: str) -> None:
    """Every response's headers: its request id, the security headers (a route's own CSP
    kept), and no caching of API answers (they hold users' text)."""
    headers["X-Request-Id"] = request_id
    for name, value in SECURITY_HEADERS.items():
        headers.setdefault(name, value)
    if path.startswith("/api/") or path == "/healthz":
        headers["Cache-Control"] = "no-store"


for area in (ocr, jobs, web):
    app.include_router(area.router)


def error_response(request: Request, error: OcrError) -> JSONResponse:
    """The error shape, headers included: a 500 is answered outside the middleware."""
    body = ErrorResponse(error=ErrorDetail(code=error.code, message=error.message), request_id=request_id_of(request))
    request.scope.setdefault("state", {})["error_code"] = error.code  # for the access log and the metrics
    response = JSONResponse(body.model_dump(), status_code=status_of(error))
    secure(response.headers, body.request_id, request.url.path)
    return response


def stage_prefix(scope: dict) -> str:
    """What API Gateway's URL puts before the app's own paths (a REST API's stage: `/prod`),
    so that /docs finds /openapi.json behind it; empty locally and on an HTTP API's $default."""
    event = scope.get("aws.event") or {}
    client_path = (event.get("requestContext") or {}).get("path") or ""
    own_path = event.get("path") or ""
    if own_path and client_path != own_path and client_path.endswith(own_path):
        return client_path[: len(client_path) - len(own_path)].rstrip("/")
    return ""


class RequestContext:
    """Per request: the id, API Gateway's stage prefix, the API key, the headers, the access
    log. Plain ASGI: Starlette's BaseHTTPMiddleware would hide a client's disconnect from
    the route, which must see it to cancel the read."""

    def __init__(self, app, api_key: str | None = None):
        self.app = app
        self.api_key = api_key  # when set, /api/ needs it in x-api-key

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        started, status = time.perf_counter(), 500
        request = Request(scope)
        request_id, path = request_id_of(request), scope["path"]
        if prefix := stage_prefix(scope):
            scope["root_path"] = prefix

        async def send_secured(message):
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                secure(MutableHeaders(scope=message), request_id, path)
            await send(message)

        try:
            given = request.headers.get("x-api-key", "")
            if self.api_key and path.startswith("/api/") and not hmac.compare_digest(given.encode(),
                                                                                       self.api_key.encode()):
                refusal = error_response(request, Unauthorized("a valid x-api-key header is required"))
                await refusal(scope, receive, send_secured)
            else:
                await self.app(scope, receive, send_secured)
        finally:
            fields = {"request_id": request_id, "method": scope["method"], "path": path, "status": status,
                      "latency_ms": round((time.perf_counter() - started) * 1000, 1)}
            fields.update(scope.get("state", {}).get("log_fields", {}))
            if code := scope.get("state", {}).get("error_code"):
                fields["error_code"] = code
            logger.info("request", extra=fields)
            record_request(fields)
            stages({k: ms / 1000 for k, ms in (fields.get("stages_ms") or {}).items()}, epoch_of(started))


app.add_middleware(RequestContext, api_key=providers.settings().api_key)


@app.exception_handler(OcrError)
async def on_refusal(request: Request, exc: OcrError):
    return error_response(request, exc)


@app.exception_handler(RequestValidationError)
async def on_validation_error(request: Request, exc: RequestValidationError):
    problems = "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors())
    return error_response(request, InvalidParameter(problems[:500]))


@app.exception_handler(StarletteHTTPException)
async def on_http_error(request: Request, exc: StarletteHTTPException):
    return error_response(request, from_http_status(exc.status_code, str(exc.detail)))


@app.exception_handler(Exception)
async def on_bug(request: Request, exc: Exception):
    logger.error("unhandled error", exc_info=exc, extra={"request_id": request_id_of(request)})
    return error_response(request, InternalError("an internal error occurred; quote the request id to report it"))


mangum = Mangum(app, lifespan="off")


@metrics.log_metrics(capture_cold_start_metric=True)
def handler(event: dict, context) -> dict:
    record_init()
    return mangum(event, context)
