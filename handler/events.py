"""The worker's EventBridge calls: one event when a document is done or has failed, on the
bus OCR_EVENT_BUS. The caller sends it only after its own conditional write of the .json (or
.error.json) landed (DropStore.put_once's `final`): a retried or duplicate delivery finds the
outputs and sends nothing, and of two ranges that finish a document together one assembles
and announces it. So an event is sent at most once; one that EventBridge refuses (after the
SDK's retries) is logged and counted (metric `EventsFailed`), and the outputs stand."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from . import aws
from .lambda_env import SERVICE
from .logs import logger
from .models import DropSource, ErrorDetail
from .tracing import span

SOURCE = SERVICE  # "ocr-service"
COMPLETED, FAILED = "OCR Job Completed", "OCR Job Failed"


@dataclass(frozen=True)
class EventSender:
    bus: str = "default"
    events_client: Callable[[], Any] = aws.events_client

    def completed(self, source: DropSource, job_id: str | None, pages: int, formats: dict[str, str]) -> bool:
        return self.send(COMPLETED, detail(source, job_id, pages, formats))

    def failed(self, source: DropSource, job_id: str | None, error: ErrorDetail, error_key: str) -> bool:
        return self.send(FAILED, detail(source, job_id, None, {}, error, error_key))

    def send(self, detail_type: str, body: dict) -> bool:
        """One PutEvents entry; whether EventBridge took it. A refusal is logged, not raised:
        the document's outputs are written, and a retry would not announce them again."""
        entry = {"Source": SOURCE, "DetailType": detail_type, "Detail": json.dumps(body, ensure_ascii=False),
                 "EventBusName": self.bus}
        try:
            with span("announce"):
                answer = self.events_client().put_events(Entries=[entry])
        except (ClientError, BotoCoreError) as exc:
            logger.warning("the completion event was not sent", extra={"key": body["key"], "reason": str(exc)})
            return False
        if answer.get("FailedEntryCount"):
            failure = (answer.get("Entries") or [{}])[0]
            logger.warning("the completion event was refused", extra={"key": body["key"], **failure})
            return False
        return True


def detail(source: DropSource, job_id: str | None, pages: int | None, formats: dict[str, str],
           error: ErrorDetail | None = None, error_key: str | None = None) -> dict:
    """The event's `detail`: which document (bucket, key, etag; the job's id, or None for a
    plain drop), its page count and the key of each format written, or its error."""
    body: dict = {"job_id": job_id, "bucket": source.bucket, "key": source.key, "etag": source.etag,
                  "pages": pages, "formats": formats, "error": error.model_dump() if error else None}
    if error_key is not None:
        body["error_key"] = error_key
    return body
