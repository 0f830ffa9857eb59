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


#: PutObject's conditions (S3 has honoured them since 2024) as the headers they are sent as
CONDITIONS = {"IfNoneMatch": "If-None-Match", "IfMatch": "If-Match"}


@lru_cache(maxsize=None)
def s3_client():
    return allow_conditional_puts(boto3.client("s3", config=CLIENT_CONFIG))


def allow_conditional_puts(client):
    """PutObject's IfNoneMatch / IfMatch on an SDK whose model predates them: the Lambda
    runtime's boto3 may (python3.13's documented one is 1.34.145, which refuses them as
    unknown parameters; scripts/smoke-arm64 found it). Taken out of the parameters before
    they are validated and sent as their headers, signed. A newer SDK sends them itself."""
    known = client.meta.service_model.operation_model("PutObject").input_shape.members
    if all(name in known for name in CONDITIONS):
        return client

    def take(params, context, **_):
        context["put_conditions"] = {CONDITIONS[name]: params.pop(name) for name in CONDITIONS if name in params}

    def send(request, **_):
        for header, value in (request.context.get("put_conditions") or {}).items():
            request.headers[header] = value

    client.meta.events.register("before-parameter-build.s3.PutObject", take)
    client.meta.events.register("before-sign.s3.PutObject", send)
    return client


@lru_cache(maxsize=None)
def sqs_client():
    return boto3.client("sqs", config=CLIENT_CONFIG)


@lru_cache(maxsize=None)
def events_client():
    return boto3.client("events", config=CLIENT_CONFIG)
