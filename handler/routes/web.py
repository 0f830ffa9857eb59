"""The web page and the health check."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter
from fastapi.responses import FileResponse

from ..dependencies import MODEL
from ..models import HealthResponse

WEB = Path(__file__).resolve().parent.parent / "web"

router = APIRouter()


@router.get("/healthz", response_model=HealthResponse, summary="Liveness and the model pack in use")
async def healthz() -> HealthResponse:
    return HealthResponse(ready=True, model=MODEL)


@router.get("/", include_in_schema=False)
async def index() -> FileResponse:
    return FileResponse(WEB / "index.html", media_type="text/html")
