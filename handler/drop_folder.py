"""The drop folder's layout, shared by the worker (which writes it) and the jobs API (which
reads it): where a file's outputs go, what they are called, and what they say of a job."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from .config import ServiceSettings

RESULT, TEXT, ERROR = ".json", ".txt", ".error.json"  # appended to the output base of a key
JOBS = "jobs/"  # the jobs API's files live under <prefix>jobs/<job id>/


@dataclass(frozen=True)
class DropFolderLayout:
    input_prefix: str
    output_prefix: str
    max_object_bytes: int  # the engine's OCR_MAX_BYTES
    deadline_margin_ms: int  # stop taking pages this long before the Lambda deadline

    @classmethod
    def of(cls, settings: ServiceSettings) -> "DropFolderLayout":
        return cls(settings.input_prefix, settings.output_prefix, settings.max_bytes, settings.deadline_margin_ms)

    def output_base(self, key: str) -> str | None:
        """Where the outputs of `key` go, or None for keys that must not be processed
        (outside the input prefix, folder markers): the loop guard."""
        if not key.startswith(self.input_prefix) or key.endswith("/") or key == self.input_prefix:
            return None
        return self.output_prefix + key[len(self.input_prefix) :]

    def job_upload_key(self, job_id: str, name: str) -> str:
        return f"{self.input_prefix}{JOBS}{job_id}/{name}"

    def job_inputs(self, job_id: str) -> str:
        return f"{self.input_prefix}{JOBS}{job_id}/"

    def job_outputs(self, job_id: str) -> str:
        return f"{self.output_prefix}{JOBS}{job_id}/"


def job_state(output_keys: list[str]) -> tuple[Literal["failed", "done", "pending"], str | None]:
    """A job's state from the keys under its outputs: failed (with the `.error.json`), done
    (with the result `.json`), or pending (nothing yet). Suffixes are matched whole: an
    error file also ends in `.json`."""
    errors = sorted(k for k in output_keys if k.endswith(ERROR))
    if errors:
        return "failed", errors[0]
    results = sorted(k for k in output_keys if k.endswith(RESULT) and not k.endswith(ERROR))
    if results:
        return "done", results[0]
    return "pending", None
