"""What the routes take through FastAPI's Depends, so that a test can replace any of them
(app.dependency_overrides[dependencies.engine] = ...): the process's settings, drop folder
layout, engine and model (providers.py; api.py builds them at import) and the inference
slots; and the request id. The jobs routes take no engine."""

from __future__ import annotations

import uuid
from functools import cache
from typing import Annotated

import anyio
from fastapi import Depends, Request

from ocr_engine import OcrEngine

from . import providers
from .config import ServiceSettings
from .drop_folder import DropFolderLayout
from .models import ModelOut


@cache
def inference_slots() -> anyio.CapacityLimiter:
    """Reads at once on the inference threads (OCR_INFERENCE_WORKERS)."""
    return anyio.CapacityLimiter(providers.settings().inference_slots)


# Async, though they only return what is built once: FastAPI runs a plain function in its
# thread pool, a hop per dependency and request.
async def settings() -> ServiceSettings:
    return providers.settings()


async def folder() -> DropFolderLayout:
    return providers.folder()


async def engine() -> OcrEngine:
    return providers.engine()


async def model() -> ModelOut:
    return providers.model()


async def slots() -> anyio.CapacityLimiter:
    return inference_slots()


SettingsDep = Annotated[ServiceSettings, Depends(settings)]
FolderDep = Annotated[DropFolderLayout, Depends(folder)]
EngineDep = Annotated[OcrEngine, Depends(engine)]
ModelDep = Annotated[ModelOut, Depends(model)]
SlotsDep = Annotated[anyio.CapacityLimiter, Depends(slots)]


def request_id_of(request: Request) -> str:
    """API Gateway's request id on Lambda, a fresh one locally; the same for the whole request."""
    if not hasattr(request.state, "request_id"):
        context = request.scope.get("aws.event", {}).get("requestContext", {}) or {}
        request.state.request_id = context.get("requestId") or uuid.uuid4().hex
    return request.state.request_id
