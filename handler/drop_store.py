"""Every S3 and SQS call of the worker: the source's bytes, whether a source is done, its
outputs written once, its error file, and the listing, JSON and queue calls of fan-out.
Outputs carry the source's ETag in their metadata: a duplicate delivery finds them and
writes nothing. An S3 or SQS failure is Transient: the message returns to the queue."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, overload

from botocore.exceptions import BotoCoreError, ClientError

from . import aws
from .drop_folder import ERROR, RESULT, DropFolderLayout, Output
from .job_outputs import PAGES_METADATA as PAGES_READ
from .logs import logger
from .models import DropError, DropSource, ErrorDetail

ETAG_METADATA = "source-etag"  # x-amz-meta-source-etag on every output
SEND_BATCH = 10  # SQS's SendMessageBatch limit
DELETE_BATCH = 1000  # S3's DeleteObjects limit


class Transient(Exception):
    """Worth another try: the message goes back to the queue (and, in the end, the DLQ)."""


@dataclass(frozen=True)
class DropStore:
    # what gives the boto3 clients: the process's (aws.py: made on first use, the endpoint
    # from AWS_ENDPOINT_URL), or a test's on moto's server
    s3_client: Callable[[], Any] = aws.s3_client
    sqs_client: Callable[[], Any] = aws.sqs_client

    @overload
    def s3_call(self, operation: str, **params) -> dict: ...
    @overload
    def s3_call(self, operation: str, absent: tuple[int, ...], **params) -> dict | None: ...

    def s3_call(self, operation: str, absent: tuple[int, ...] = (), **params) -> dict | None:
        """One S3 call. An S3 or network error is Transient (the message returns to the queue),
        except the HTTP statuses in `absent`, which give None."""
        try:
            return getattr(self.s3_client(), operation)(**params)
        except ClientError as exc:
            status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0)
            if status in absent:
                return None
            raise Transient(f"S3 {exc.response.get('Error', {}).get('Code', '?')}: {exc}") from exc
        except BotoCoreError as exc:
            raise Transient(str(exc)) from exc

    def sqs_call(self, operation: str, **params) -> dict:
        """One SQS call; any failure is Transient."""
        try:
            return getattr(self.sqs_client(), operation)(**params)
        except (ClientError, BotoCoreError) as exc:
            raise Transient(f"SQS {operation}: {exc}") from exc

    def head(self, bucket: str, key: str) -> dict | None:
        return self.s3_call("head_object", absent=(404,), Bucket=bucket, Key=key)

    def read_source(self, bucket: str, key: str, etag: str) -> bytes | None:
        """The bytes of that version of the file; None when it changed or went meanwhile."""
        got = self.s3_call("get_object", absent=(404, 412), Bucket=bucket, Key=key, IfMatch=f'"{etag}"')
        return None if got is None else _read_body(got)

    def already_done(self, bucket: str, base: str, etag: str) -> bool:
        for suffix in (RESULT, ERROR):
            head = self.head(bucket, base + suffix)
            if head is not None and head.get("Metadata", {}).get(ETAG_METADATA) == etag:
                return True
        return False

    def write_outputs(self, base: str, source: DropSource, outputs: list[Output], document: bytes,
                      pages: int | None = None) -> bool:
        """The outputs, then the result `document` as the .json, last (with its number of
        `pages` in its metadata); False when another worker's .json landed first (a long
        document's two last ranges finishing together: the .json is written only if absent)."""
        for output in outputs:
            self.put_once(source, base + output.suffix, output.body, output.media_type)
        # what an earlier setting wrote for an earlier version of the file must not pass for this one's
        for stale in set(DropFolderLayout.every_suffix()) - {RESULT, *(o.suffix for o in outputs)}:
            self.s3_call("delete_object", absent=(404,), Bucket=source.bucket, Key=base + stale)
        # the .json is written last: its presence (with this ETag) means done
        counted = {PAGES_READ: str(pages)} if pages is not None else {}
        if not self.put_once(source, base + RESULT, document, "application/json", final=True, metadata=counted):
            return False
        self.s3_call("delete_object", absent=(404,), Bucket=source.bucket, Key=base + ERROR)
        return True

    def write_error(self, base: str, source: DropSource, request_id: str, error: ErrorDetail) -> bool:
        logger.info("cannot read the file", extra={"key": source.key, "code": error.code})
        body = DropError(error=error, request_id=request_id, source=source)
        if not self.put_once(source, base + ERROR, body.model_dump_json().encode(), "application/json", final=True):
            return False
        for stale in DropFolderLayout.every_suffix():  # every format's, whatever OCR_OUTPUT_FORMATS says now
            self.s3_call("delete_object", absent=(404,), Bucket=source.bucket, Key=base + stale)
        return True

    def put_once(self, source: DropSource, key: str, body: bytes, content_type: str, final: bool = False,
                 metadata: dict[str, str] | None = None) -> bool:
        """Write one output, unless an earlier try at this source (same ETag) already did: a try
        that failed between two writes (S3 throttling past the SDK's retries) returns its message,
        and the retry writes only what is missing. A `final` output (.json, .error.json) is
        written only over what was there when looked at (If-None-Match / If-Match): of two
        workers that race to write it, one does. Returns whether this call wrote it."""
        written = self.head(source.bucket, key)
        if written is not None and written.get("Metadata", {}).get(ETAG_METADATA) == source.etag:
            return False
        condition = ({"IfMatch": written["ETag"]} if written else {"IfNoneMatch": "*"}) if final else {}
        return self.s3_call("put_object", absent=(412,), Bucket=source.bucket, Key=key, Body=body,
                            ContentType=content_type, Metadata={ETAG_METADATA: source.etag, **(metadata or {})},
                            **condition) is not None

    # --- fan-out's manifests, parts and range messages ---------------------------------

    def keys_under(self, bucket: str, prefix: str) -> list[str]:
        keys, token = [], None
        while True:
            more: dict[str, str] = {"ContinuationToken": token} if token else {}
            listing = self.s3_call("list_objects_v2", Bucket=bucket, Prefix=prefix, **more)
            keys += [o["Key"] for o in listing.get("Contents", [])]
            token = listing.get("NextContinuationToken")
            if not token:
                return keys

    def put_json(self, bucket: str, key: str, body: dict) -> None:
        self.s3_call("put_object", Bucket=bucket, Key=key, Body=json.dumps(body, ensure_ascii=False).encode(),
                     ContentType="application/json")

    def json(self, bucket: str, key: str) -> dict:
        got = self.s3_call("get_object", Bucket=bucket, Key=key)
        return json.loads(got["Body"].read())

    def delete(self, bucket: str, keys: list[str]) -> None:
        for start in range(0, len(keys), DELETE_BATCH):
            batch = [{"Key": key} for key in keys[start : start + DELETE_BATCH]]
            self.s3_call("delete_objects", Bucket=bucket, Delete={"Objects": batch, "Quiet": True})

    def send_ranges(self, queue_url: str, bodies: list[str]) -> None:
        """One message per range, in batches; a message the queue refuses is Transient."""
        messages = [{"Id": str(i), "MessageBody": body} for i, body in enumerate(bodies)]
        for start in range(0, len(messages), SEND_BATCH):
            sent = self.sqs_call("send_message_batch", QueueUrl=queue_url, Entries=messages[start : start + SEND_BATCH])
            if sent.get("Failed"):
                raise Transient(f"the queue refused {len(sent['Failed'])} range message(s)")


def _read_body(got: dict) -> bytes:
    try:
        return got["Body"].read()
    except BotoCoreError as exc:  # the connection dropped mid-download
        raise Transient(str(exc)) from exc
