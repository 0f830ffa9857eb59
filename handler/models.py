"""The response models: the HTTP contract (they are the OpenAPI schema) and the drop
folder's result files, which share it."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel

from ocr_engine import ModelPack, OcrResult


class LineOut(BaseModel):
    text: str
    confidence: float
    box: list[list[int]]


class PageOut(BaseModel):
    page: int
    width: int
    height: int
    text: str
    lines: list[LineOut]


class ModelOut(BaseModel):
    name: str
    version: str

    @classmethod
    def of(cls, pack: ModelPack) -> "ModelOut":
        return cls(name=pack.name, version=pack.version)


class OcrResponse(BaseModel):
    success: Literal[True] = True
    text: str
    lines: list[LineOut]
    pages: list[PageOut] | None = None
    width: int | None = None
    height: int | None = None
    elapsed_time: float
    model: ModelOut
    request_id: str


class ErrorDetail(BaseModel):
    code: str
    message: str


class ErrorResponse(BaseModel):
    success: Literal[False] = False
    error: ErrorDetail
    request_id: str


class HealthResponse(BaseModel):
    status: Literal["ok"] = "ok"
    ready: bool
    model: ModelOut


class Source(BaseModel):
    bucket: str
    key: str
    etag: str
    size: int


class DropResult(OcrResponse):
    """`<output prefix>/<key>.json`: the HTTP response's shape plus where the file came from."""

    source: Source


class DropError(ErrorResponse):
    """`<output prefix>/<key>.error.json`."""

    source: Source


def ocr_response(result: OcrResult, elapsed: float, model: ModelOut, request_id: str, **extra) -> dict:
    return {**result.to_dict(), "elapsed_time": round(elapsed, 4), "model": model, "request_id": request_id, **extra}
