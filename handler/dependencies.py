"""What the routes share, created once per process at import (Mangum's lifespan is off, so
a warm Lambda never reloads the models): settings, the engine, the drop folder, the
request id."""

from __future__ import annotations

import os
import uuid
from dataclasses import dataclass

import anyio
from fastapi import Request

from ocr_engine import OcrEngine, Settings
from ocr_engine.runtime import limit_malloc_arenas
from ocr_engine.settings import available_cores

from .drop_folder import DropFolder
from .models import ModelOut


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


# a long-running server: flat RSS matters more than the few % one arena costs (runtime.py)
limit_malloc_arenas()
settings = ApiSettings.from_env()
engine = OcrEngine(settings=Settings.from_env())
folder = DropFolder.from_env()  # the jobs API writes into the worker's input prefix
MODEL = ModelOut.of(engine.pack)
inference_slots = anyio.CapacityLimiter(settings.inference_workers)


def request_id_of(request: Request) -> str:
    """API Gateway's request id on Lambda, a fresh one locally; the same for the whole request."""
    if not hasattr(request.state, "request_id"):
        context = request.scope.get("aws.event", {}).get("requestContext", {}) or {}
        request.state.request_id = context.get("requestId") or uuid.uuid4().hex
    return request.state.request_id
