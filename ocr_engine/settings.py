"""Configuration, read once from environment variables with documented defaults."""

from __future__ import annotations

import os
from dataclasses import dataclass, fields

from .errors import InvalidParameter


def available_cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


@dataclass(frozen=True)
class Settings:
    """Every knob of the engine. Environment variable = `OCR_` + upper-case field name."""

    #: Path of a model pack folder, or the name of a pack in the local build folder.
    model_pack: str | None = None
    #: Folder that holds locally built packs (default: `build/packs` beside the package).
    packs_dir: str | None = None
    #: ONNX Runtime intra-op threads (0 = one per available core).
    threads: int = 0
    #: Largest input accepted, in bytes.
    max_bytes: int = 50 * 1024 * 1024
    #: Largest decoded image (or rendered page), in pixels: checked from the header.
    max_pixels: int = 50_000_000
    #: Longest side of an image, in pixels.
    max_side: int = 16_384
    #: Shortest side of an image that can hold text, in pixels.
    min_side: int = 8
    #: Most pages read from one PDF or multi-page TIFF.
    max_pages: int = 200
    #: Most text lines reported for one page.
    max_lines: int = 2_000
    #: Resolution at which PDF pages are rendered.
    pdf_dpi: int = 200
    #: 1: give freed memory back to the OS after every page read with the detector (glibc's
    #: malloc_trim), so RSS returns to its baseline between calls; 0: keep it for speed.
    release_memory: int = 1

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None, **overrides) -> "Settings":
        environ = os.environ if environ is None else environ
        values: dict = {}
        for field in fields(cls):
            raw = environ.get("OCR_" + field.name.upper())
            if raw is None or raw == "":
                continue
            if field.type == "int":
                try:
                    values[field.name] = int(raw)
                except ValueError:
                    raise InvalidParameter(f"OCR_{field.name.upper()} must be a whole number, not {raw!r}") from None
            else:
                values[field.name] = raw
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**values)

    @property
    def intra_op_threads(self) -> int:
        return self.threads if self.threads > 0 else available_cores()
