"""Configuration: one typed object, read once from `OCR_*` environment variables with
documented defaults (pydantic-settings: types checked, a malformed value named)."""

from __future__ import annotations

import os
from typing import Self

from pydantic import Field, ValidationError
from pydantic_settings import BaseSettings, SettingsConfigDict

from .detect import DetectorParams
from .errors import SettingsError


def available_cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


class Settings(BaseSettings):
    """Every knob of the engine. Environment variable = `OCR_` + upper-case field name;
    the detector's as `OCR_DETECTOR__<FIELD>` (e.g. `OCR_DETECTOR__TEXT_HEIGHT=16`)."""

    model_config = SettingsConfigDict(
        env_prefix="OCR_", env_nested_delimiter="__", env_ignore_empty=True, frozen=True, extra="ignore"
    )

    #: Path of a model pack folder, or the name of a pack in the local build folder.
    model_pack: str | None = None
    #: Folder that holds locally built packs (default: `build/packs` beside the package).
    packs_dir: str | None = None
    #: ONNX Runtime intra-op threads (0 = one per available core).
    threads: int = Field(0, ge=0)
    #: Largest input accepted, in bytes.
    max_bytes: int = Field(50 * 1024 * 1024, gt=0)
    #: Largest decoded image (or rendered page), in pixels: checked from the header.
    max_pixels: int = Field(50_000_000, gt=0)
    #: Longest side of an image, in pixels.
    max_side: int = Field(16_384, gt=0)
    #: Shortest side of an image that can hold text, in pixels.
    min_side: int = Field(8, gt=0)
    #: Most scans (progressive passes) in a JPEG: each costs a full decode pass.
    max_jpeg_scans: int = Field(100, gt=0)
    #: Most pages read from one PDF or multi-page TIFF.
    max_pages: int = Field(200, gt=0)
    #: Most text lines reported for one page.
    max_lines: int = Field(2_000, gt=0)
    #: Resolution at which PDF pages are rendered.
    pdf_dpi: int = Field(200, gt=0)
    #: PDF pages are rendered in a child process with this much address space, megabytes...
    pdf_memory_mb: int = Field(1536, ge=256)
    #: ...and this long for each page, seconds; past either, `document_too_complex`.
    pdf_page_timeout_s: float = Field(30.0, gt=0)
    #: 1: give freed memory back to the OS: buffers of 256 KiB or more get their own mapping
    #: (glibc's mmap threshold, fixed), and after every page read with the detector the heap
    #: is trimmed (malloc_trim), so RSS returns to its baseline between calls; 0: keep it for speed.
    release_memory: int = 1
    #: Page mode drops a line the recogniser is less sure of than this (PP-OCR's text_score).
    min_line_confidence: float = Field(0.5, ge=0, le=1)
    #: A pack with a fallback recogniser (a cascade) re-reads with it the lines its first
    #: recogniser is less sure of than this; unset: the pack's own threshold; 0: none re-read.
    reread_below: float | None = Field(None, ge=0, le=1)
    #: The line classifier must be this sure that a line is upside down before it is read
    #: the other way up too.
    orientation_threshold: float = Field(0.9, ge=0, le=1)
    #: The text detector's sizing and thresholds (ocr_engine.detect.DetectorParams).
    detector: DetectorParams = DetectorParams()

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None, **overrides) -> Self:
        """The process's environment (or `environ` instead of it), with `overrides` (None
        values ignored) on top. A malformed value is a SettingsError naming the variable."""
        overrides = {k: v for k, v in overrides.items() if v is not None}
        try:
            if environ is None:
                return cls(**overrides)
            values = {name: environ[f"OCR_{name.upper()}"] for name in cls.model_fields
                      if environ.get(f"OCR_{name.upper()}", "") != ""}
            return cls.model_validate({**values, **overrides})  # no environment source: `environ` only
        except ValidationError as exc:
            problems = "; ".join(f"OCR_{'__'.join(str(p) for p in e['loc']).upper()}: {e['msg']} (got {e['input']!r})"
                                 for e in exc.errors())
            raise SettingsError(f"invalid setting: {problems}"[:500]) from None

    @property
    def intra_op_threads(self) -> int:
        return self.threads if self.threads > 0 else available_cores()
