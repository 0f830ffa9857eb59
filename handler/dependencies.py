"""What the routes share, created once per process at import (Mangum's lifespan is off, so
a warm Lambda never reloads the models): settings, the engine, the drop folder, the
request id."""

from __future__ import annotations

import uuid

import anyio
from fastapi import Request

from ocr_engine import OcrEngine
from ocr_engine.runtime import limit_malloc_arenas

from .config import service_settings
from .drop_folder import DropFolderLayout
from .models import ModelOut


# a long-running server: flat RSS matters more than the few % one arena costs (runtime.py)
limit_malloc_arenas()
settings = service_settings()
engine = OcrEngine(settings=settings)
folder = DropFolderLayout.of(settings)  # the jobs API writes into the worker's input prefix
MODEL = ModelOut.of(engine.pack)
inference_slots = anyio.CapacityLimiter(settings.inference_slots)


def request_id_of(request: Request) -> str:
    """API Gateway's request id on Lambda, a fresh one locally; the same for the whole request."""
    if not hasattr(request.state, "request_id"):
        context = request.scope.get("aws.event", {}).get("requestContext", {}) or {}
        request.state.request_id = context.get("requestId") or uuid.uuid4().hex
    return request.state.request_id
