"""Writes the sample API Gateway events in this folder (committed; run again to refresh).

    .venv/bin/python events/make_events.py

The bodies are our own sample images (samples/), base64-encoded as API Gateway delivers
binary media types."""

import base64
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


def main() -> None:
    multipart_headers = {"content-type": f"multipart/form-data; boundary={BOUNDARY}", "host": "api.example.com"}
    events = {
        "api-rest-post.json": rest_v1("POST", "/api/v1/ocr", multipart_body(), multipart_headers),
        "api-http-post.json": http_v2("POST", "/api/v1/ocr", LINE_PNG, {"content-type": "image/png", "host": "api.example.com"}),
        "api-rest-healthz.json": rest_v1("GET", "/healthz", None, {"host": "api.example.com"}),
    }
    for name, event in events.items():
        (HERE / name).write_text(json.dumps(event, indent=1) + "\n")


if __name__ == "__main__":
    main()
