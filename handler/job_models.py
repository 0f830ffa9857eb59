"""The jobs API's requests and answers (routes/jobs.py): they are its OpenAPI schema."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field, field_validator

from ocr_engine.errors import InvalidParameter
from ocr_engine.formats import output_formats
from ocr_engine.page_ranges import MAX_SPEC_CHARS

from .job_outputs import OUTPUT_SUFFIXES, Outputs
from .models import ErrorDetail

JOB_CONTENT_TYPES = (
    "application/octet-stream", "application/pdf", "image/png", "image/jpeg",
    "image/tiff", "image/bmp", "image/webp", "image/gif",
)


class JobRequest(BaseModel):
    filename: str | None = Field(None, max_length=1024,
                                 description="the file's name; only a sanitised base name is kept")
    content_type: Literal[JOB_CONTENT_TYPES] = "application/octet-stream"  # type: ignore[valid-type]
    pages: str | None = Field(None, max_length=MAX_SPEC_CHARS, description="pages of a document to read, such as "
                              "1-3,7 (numbered as in the document); all when absent")
    text_layer: Literal["auto", "ignore", "only"] | None = Field(
        None, description="which PDF pages are read from their own text layer (default: the drop folder's "
        "OCR_TEXT_LAYER, auto)")
    formats: list[str] | None = Field(None, max_length=len(OUTPUT_SUFFIXES) + 1, description="what the worker "
                                      f"writes for the file, of {', '.join(OUTPUT_SUFFIXES)} (json always; default: "
                                      "the drop folder's OCR_OUTPUT_FORMATS)")

    @field_validator("formats")
    @classmethod
    def _known_formats(cls, names: list[str] | None) -> list[str] | None:
        if names is None:
            return None
        try:
            return [fmt.name for fmt in output_formats(",".join(names)) if fmt.name != "json"] or ["json"]
        except InvalidParameter as exc:
            raise ValueError(exc.message) from None


class JobUpload(BaseModel):
    url: str
    method: Literal["PUT"] = "PUT"
    headers: dict[str, str]


class JobCreated(BaseModel):
    job_id: str
    upload: JobUpload
    status_url: str
    expires_in: int


class FailedPages(BaseModel):
    first: int
    last: int
    error: ErrorDetail


class JobStatus(BaseModel):
    job_id: str
    status: Literal["pending", "done", "failed"]
    #: a long document read in page ranges by several workers: its pages and how many are read
    pages_total: int | None = None
    pages_done: int | None = None
    failed_pages: list[FailedPages] | None = Field(None, description="ranges that could not be read, and why")
    result: dict | None = Field(None, description="the result, while its JSON is at most OCR_JOB_INLINE_MAX_BYTES; "
                                "past it, download outputs.json")
    outputs: Outputs | None = Field(None, description="a presigned download of each file the job wrote")
    error: ErrorDetail | None = None
