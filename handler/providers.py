"""What both functions (the API, api.py, and the worker, s3.py) build once per process: the
settings, the drop folder's layout, the engine and the model it reads with. Each provider
builds on its first call and returns the same object after. Both handlers call them at
import, so that a Lambda's cold start builds the engine (Mangum's lifespan is off, and a
warm Lambda never reloads the models); the API's routes take them through FastAPI's
Depends (dependencies.py), so a test can replace them (app.dependency_overrides)."""

from __future__ import annotations

from functools import cache

from ocr_engine import OcrEngine
from ocr_engine.runtime import limit_malloc_arenas

from .config import ServiceSettings
from .drop_folder import DropFolderLayout
from .models import ModelOut


@cache
def settings() -> ServiceSettings:
    return ServiceSettings.from_env()


@cache
def folder() -> DropFolderLayout:
    """The worker writes it; the jobs API uploads into its input prefix and reads its outputs."""
    return DropFolderLayout.of(settings())


@cache
def engine() -> OcrEngine:
    # a long-running server: flat RSS matters more than the few % one arena costs
    # (runtime.py); set before the engine starts its threads
    limit_malloc_arenas()
    return OcrEngine(settings=settings())


@cache
def model() -> ModelOut:
    return ModelOut.of(engine().pack)
