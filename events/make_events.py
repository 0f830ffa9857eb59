"""Writes the sample API Gateway events in this folder (committed; run again to refresh).

    .venv/bin/python events/make_events.py

The bodies are our own sample images (samples/), base64-encoded as API Gateway delivers
binary media types."""

import base64
import hashlib
import json
from pathlib import Path

HERE = Path(__file__).parent
LINE_PNG = (HERE.parent / "samples" / "line.png").read_bytes()
BOUNDARY = "----sampleboundary7MA4YWxkTrZu0gW"


def multipart_body() -> bytes:
    return (
        f"--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"image\"; filename=\"line.png\"\r\n"
        "Content-Type: image/png\r\n\r\n"
    ).encode() + LINE_PNG + f"\r\n--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"mode\"\r\n\r\nline\r\n--{BOUNDARY}--\r\n".encode()


def rest_v1(method: str, path: str, body: bytes | None, headers: dict) -> dict:
    return {
        "resource": "/{proxy+}",
        "path": path,
        "httpMethod": method,
        "headers": headers,
        "multiValueHeaders": {k: [v] for k, v in headers.items()},
        "queryStringParameters": None,
        "multiValueQueryStringParameters": None,
        "pathParameters": {"proxy": path.lstrip("/")},
        "stageVariables": None,
        "requestContext": {
            "resourcePath": "/{proxy+}",
            "httpMethod": method,
            "path": f"/prod{path}",
            "stage": "prod",
            "requestId": "c6af9ac6-7b61-11e6-9a41-93e8deadbeef",
            "identity": {"sourceIp": "203.0.113.10", "userAgent": "curl/8.0"},
        },
        "body": base64.b64encode(body).decode() if body else None,
        "isBase64Encoded": bool(body),
    }


def http_v2(method: str, path: str, body: bytes | None, headers: dict) -> dict:
    return {
        "version": "2.0",
        "routeKey": "$default",
        "rawPath": path,
        "rawQueryString": "mode=line",
        "headers": headers,
        "queryStringParameters": {"mode": "line"},
        "requestContext": {
            "http": {"method": method, "path": path, "protocol": "HTTP/1.1", "sourceIp": "203.0.113.10", "userAgent": "curl/8.0"},
            "requestId": "JKJaXmPLvHcESHA=",
            "routeKey": "$default",
            "stage": "$default",
        },
        "body": base64.b64encode(body).decode() if body else None,
        "isBase64Encoded": bool(body),
    }


def s3_put(key: str) -> dict:
    """An S3 ObjectCreated notification as S3 sends it: the key URL-encoded (`+` = space)."""
    from urllib.parse import quote_plus

    return {"Records": [{
        "eventVersion": "2.1",
        "eventSource": "aws:s3",
        "awsRegion": "eu-west-1",
        "eventTime": "2026-11-24T12:00:00.000Z",
        "eventName": "ObjectCreated:Put",
        "s3": {
            "s3SchemaVersion": "1.0",
            "configurationId": "incoming",
            "bucket": {"name": "my-ocr-bucket", "arn": "arn:aws:s3:::my-ocr-bucket"},
            # a single-part upload's ETag is the MD5 of its bytes: this event is samples/line.png
            "object": {"key": quote_plus(key, safe="/"), "size": len(LINE_PNG), "eTag": hashlib.md5(LINE_PNG).hexdigest()},
        },
    }]}


def sqs_wrapped(notification: dict) -> dict:
    """The S3 notification as the worker receives it from SQS."""
    return {"Records": [{
        "messageId": "059f36b4-87a3-44ab-83d2-661975830a7d",
        "receiptHandle": "AQEBwJnKyrHigUMZj6rYigCgxlaS3SLy0a",
        "body": json.dumps(notification),
        "attributes": {"ApproximateReceiveCount": "1", "SentTimestamp": "1795000000000"},
        "messageAttributes": {},
        "md5OfBody": "e4e68fb7bd0e697a0ae8f1bb342846b3",
        "eventSource": "aws:sqs",
        "eventSourceARN": "arn:aws:sqs:eu-west-1:000000000000:ocr-drop-queue",
        "awsRegion": "eu-west-1",
    }]}


def main() -> None:
    multipart_headers = {"content-type": f"multipart/form-data; boundary={BOUNDARY}", "host": "api.example.com"}
    events = {
        "api-rest-post.json": rest_v1("POST", "/api/v1/ocr", multipart_body(), multipart_headers),
        "api-http-post.json": http_v2("POST", "/api/v1/ocr", LINE_PNG, {"content-type": "image/png", "host": "api.example.com"}),
        "api-rest-healthz.json": rest_v1("GET", "/healthz", None, {"host": "api.example.com"}),
        "s3-put.json": s3_put("incoming/samples/line sample.png"),
        "sqs-s3-put.json": sqs_wrapped(s3_put("incoming/samples/line sample.png")),
    }
    for name, event in events.items():
        (HERE / name).write_text(json.dumps(event, indent=1) + "\n")


if __name__ == "__main__":
    main()
