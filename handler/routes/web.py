"""The web page, the API's docs (Swagger UI from the pinned swagger-ui-bundle package, no
CDN) and the health check."""

from __future__ import annotations

import base64
import hashlib
import re
from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import FileResponse, HTMLResponse
from swagger_ui_bundle import swagger_ui_path

from ..dependencies import ModelDep
from ..models import HealthResponse

WEB = Path(__file__).resolve().parent.parent / "web"
SWAGGER_UI = Path(swagger_ui_path)  # mounted at /swagger

router = APIRouter()


@router.get("/healthz", response_model=HealthResponse, summary="Liveness and the model pack in use")
async def healthz(model: ModelDep) -> HealthResponse:
    return HealthResponse(ready=True, model=model)


@router.get("/", include_in_schema=False)
async def index() -> FileResponse:
    return FileResponse(WEB / "index.html", media_type="text/html")


@router.get("/docs", include_in_schema=False)
async def docs(request: Request) -> HTMLResponse:
    """Swagger UI on the app's own copy of its files; inside API Gateway's stage prefix
    where there is one. Its one inline script is allowed by its hash, nothing else."""
    root = request.scope.get("root_path", "").rstrip("/")
    page = get_swagger_ui_html(
        openapi_url=f"{root}{request.app.openapi_url}", title=f"{request.app.title} - docs",
        swagger_js_url=f"{root}/swagger/swagger-ui-bundle.js", swagger_css_url=f"{root}/swagger/swagger-ui.css",
        swagger_favicon_url=f"{root}/swagger/favicon-32x32.png",
    )
    inline = re.findall(r"<script>(.*?)</script>", bytes(page.body).decode(), flags=re.S)
    hashes = " ".join(f"'sha256-{base64.b64encode(hashlib.sha256(s.encode()).digest()).decode()}'" for s in inline)
    page.headers["Content-Security-Policy"] = (
        f"default-src 'self'; script-src 'self' {hashes}; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
        "object-src 'none'; base-uri 'none'; frame-ancestors 'none'"
    )
    return page
