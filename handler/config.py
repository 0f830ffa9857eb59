"""The service's settings: the engine's plus the API's and the drop folder's, one typed
object read once per process from `OCR_*` variables. The deployed environment
(lambda_env.py, and through it the CDK stack) takes its defaults and names from here."""

from __future__ import annotations

from functools import lru_cache

from pydantic import Field

from ocr_engine.settings import Settings, available_cores


class ServiceSettings(Settings):
    #: Largest file of a synchronous request: Lambda caps a request at 6 MB, ~4.4 MB of file
    #: once base64-encoded; larger files go through the jobs API.
    sync_max_bytes: int = Field(4 * 1024 * 1024, gt=0)
    #: A synchronous read stops with 504 `timeout` after this many seconds (API Gateway gives
    #: up at 29 s, and the Lambda would go on burning).
    sync_budget_s: float = Field(25.0, gt=0)
    #: Most pages of a document read synchronously; longer ones go through the jobs API (413).
    sync_max_pages: int = Field(20, gt=0)
    #: When set, /api/ needs the header x-api-key (deployed, API Gateway checks the keys).
    api_key: str | None = None
    #: Reads at once in the API (0 = one per available core).
    inference_workers: int = Field(0, ge=0)
    #: The drop folder's bucket (the worker finds it in its events; the jobs API needs it).
    bucket: str | None = None
    #: Lifetime of a job's presigned upload URL, seconds.
    job_upload_expiry: int = Field(900, gt=0)
    #: Where the drop folder reads files from...
    input_prefix: str = "incoming/"
    #: ...and writes their results to (outputs never trigger processing again).
    output_prefix: str = "results/"
    #: The worker stops taking pages this long before the Lambda deadline, milliseconds.
    deadline_margin_ms: int = Field(20_000, ge=0)

    @property
    def inference_slots(self) -> int:
        return self.inference_workers or available_cores()


def default(name: str):
    """A setting's default: what lambda_env.py and the stack write, defined once, here."""
    return ServiceSettings.model_fields[name].default


@lru_cache(maxsize=1)
def service_settings() -> ServiceSettings:
    return ServiceSettings.from_env()
