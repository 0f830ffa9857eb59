"""boto3 clients (S3, SQS, EventBridge), created once per container: standard retries and timeouts; the endpoint
comes from the standard AWS_ENDPOINT_URL (so moto's server needs no special code path)."""

from __future__ import annotations

from functools import lru_cache

import boto3
from botocore.config import Config

CLIENT_CONFIG = Config(
    retries={"mode": "standard", "max_attempts": 4},
    connect_timeout=5,
    read_timeout=30,
    signature_version="s3v4",
)


@lru_cache(maxsize=None)
def s3_client():
    return boto3.client("s3", config=CLIENT_CONFIG)


@lru_cache(maxsize=None)
def sqs_client():
    return boto3.client("sqs", config=CLIENT_CONFIG)


@lru_cache(maxsize=None)
def events_client():
    return boto3.client("events", config=CLIENT_CONFIG)
