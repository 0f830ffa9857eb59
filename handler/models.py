"""The response models: the HTTP contract (they are the OpenAPI schema) and the drop
folder's result files, which share it."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from ocr_engine import ModelPack, OcrResult


class WordOut(BaseModel):
    """A Chinese character, or a run of other characters between spaces, where it was seen."""

    model_config = ConfigDict(from_attributes=True)

    text: str
    confidence: float
    box: list[list[int]]

    @field_validator("confidence")
    @classmethod
    def _four_places(cls, confidence: float) -> float:
        return round(confidence, 4)


class LineOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    text: str
    confidence: float
    box: list[list[int]]
    words: list[WordOut] = Field(default_factory=list, description="the line's words in reading order, spaces left out")

    @field_validator("confidence")
    @classmethod
    def _four_places(cls, confidence: float) -> float:
        return round(confidence, 4)


class CellOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    row: int = Field(description="0-based row of its top-left grid position")
    col: int = Field(description="0-based column of its top-left grid position")
    row_span: int
    col_span: int
    text: str = Field(description="its lines' text, joined by newlines, in reading order")
    box: list[list[int]] = Field(description="the cell's area: 4 points clockwise from top-left")
    lines: list[int] = Field(default_factory=list, description="indices into the page's `lines` of the lines in it")


class TableOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    box: list[list[int]]
    rows: int
    cols: int
    cells: list[CellOut] = Field(description="row by row; every grid position is in one cell, empty ones too")


class PageOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    number: int
    width: int
    height: int
    source: Literal["ocr", "text"] = Field("ocr", description="where the text came from: OCR, or the PDF's own "
                                           "text layer (text_layer)")
    text: str
    lines: list[LineOut]
    tables: list[TableOut] = Field(default_factory=list, description="the page's tables when asked for (`tables`, "
                                   "or format=markdown); empty otherwise")
    image: str | None = Field(None, exclude_if=lambda image: image is None,
                              description="with page_images only: a JPEG of the page as it was read, as a data URL")


class ModelOut(BaseModel):
    name: str
    version: str

    @classmethod
    def of(cls, pack: ModelPack) -> "ModelOut":
        return cls(name=pack.name, version=pack.version)

    @property
    def label(self) -> str:
        """How hOCR and ALTO name the model."""
        return f"{self.name} {self.version}"


class OcrResponse(BaseModel):
    success: Literal[True] = True
    text: str
    lines: list[LineOut]
    pages: list[PageOut]
    elapsed_time: float
    model: ModelOut
    request_id: str

    @classmethod
    def of(cls, result: OcrResult, elapsed: float, model: ModelOut, request_id: str, **extra):
        """The response for `result`, built from its attributes (OcrResult.to_dict's shape)."""
        return cls(
            text=result.text,
            lines=[LineOut.model_validate(line) for line in result.lines],
            pages=[PageOut.model_validate(page) for page in result.pages],
            elapsed_time=round(elapsed, 4),
            model=model,
            request_id=request_id,
            **extra,
        )


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


class DropSource(BaseModel):
    bucket: str
    key: str
    etag: str
    size: int


class DropResult(OcrResponse):
    """`<output prefix>/<key>.json`: the HTTP response's shape plus where the file came from."""

    source: DropSource


class DropError(ErrorResponse):
    """`<output prefix>/<key>.error.json`."""

    source: DropSource
