"""Where the drop folder reads and writes: shared by the worker and the jobs API."""

from __future__ import annotations

import os
from dataclasses import dataclass


@dataclass(frozen=True)
class DropFolder:
    input_prefix: str  # OCR_INPUT_PREFIX
    output_prefix: str  # OCR_OUTPUT_PREFIX
    max_object_bytes: int  # OCR_MAX_OBJECT_BYTES
    deadline_margin_ms: int  # OCR_DEADLINE_MARGIN_MS: stop taking pages this long before the Lambda deadline

    @classmethod
    def from_env(cls) -> "DropFolder":
        return cls(
            input_prefix=os.environ.get("OCR_INPUT_PREFIX", "incoming/"),
            output_prefix=os.environ.get("OCR_OUTPUT_PREFIX", "results/"),
            max_object_bytes=int(os.environ.get("OCR_MAX_OBJECT_BYTES") or 50 * 1024 * 1024),
            deadline_margin_ms=int(os.environ.get("OCR_DEADLINE_MARGIN_MS") or 20_000),
        )

    def output_base(self, key: str) -> str | None:
        """Where the outputs of `key` go, or None for keys that must not be processed
        (outside the input prefix, folder markers): the loop guard."""
        if not key.startswith(self.input_prefix) or key.endswith("/") or key == self.input_prefix:
            return None
        return self.output_prefix + key[len(self.input_prefix) :]
