"""Where the drop folder reads and writes: shared by the worker and the jobs API."""

from __future__ import annotations

from dataclasses import dataclass

from .config import ServiceSettings


@dataclass(frozen=True)
class DropFolder:
    input_prefix: str
    output_prefix: str
    max_object_bytes: int  # the engine's OCR_MAX_BYTES
    deadline_margin_ms: int  # stop taking pages this long before the Lambda deadline

    @classmethod
    def of(cls, settings: ServiceSettings) -> "DropFolder":
        return cls(settings.input_prefix, settings.output_prefix, settings.max_bytes, settings.deadline_margin_ms)

    def output_base(self, key: str) -> str | None:
        """Where the outputs of `key` go, or None for keys that must not be processed
        (outside the input prefix, folder markers): the loop guard."""
        if not key.startswith(self.input_prefix) or key.endswith("/") or key == self.input_prefix:
            return None
        return self.output_prefix + key[len(self.input_prefix) :]
