"""The Mangum handler fed API Gateway REST (v1) and HTTP API (v2) proxy events."""

import base64
import json

import pytest

from handler.invoke import LambdaContext as ApiContext
from tests.conftest import ROOT

EVENTS = ROOT / "events"


def LambdaContext():
    return ApiContext("ApiFunction", memory_mb=2048, timeout_s=29)


@pytest.fixture(scope="module")
def lambda_handler():
    from handler.api import handler

    return handler


def invoke(lambda_handler, name: str) -> tuple[dict, dict]:
    response = lambda_handler(json.loads((EVENTS / name).read_text()), LambdaContext())
    body = response["body"]
    if response.get("isBase64Encoded"):
        body = base64.b64decode(body).decode()
    return response, json.loads(body)


def test_rest_v1_event_with_a_base64_multipart_body(lambda_handler):
    response, body = invoke(lambda_handler, "api-rest-post.json")
    assert response["statusCode"] == 200, body
    assert body["text"].replace(" ", "") == "光学字符识别OCR2026"
    assert body["request_id"] == "c6af9ac6-7b61-11e6-9a41-93e8deadbeef"  # from the request context
    headers = {k.lower(): v for k, v in (response.get("multiValueHeaders") or {}).items()}
    assert headers.get("x-request-id") == ["c6af9ac6-7b61-11e6-9a41-93e8deadbeef"] or \
        response.get("headers", {}).get("x-request-id") == "c6af9ac6-7b61-11e6-9a41-93e8deadbeef"


def test_http_v2_event_with_a_base64_image_body(lambda_handler):
    response, body = invoke(lambda_handler, "api-http-post.json")
    assert response["statusCode"] == 200, body
    assert len(body["lines"]) == 1 and "OCR" in body["text"]
    assert body["request_id"] == "JKJaXmPLvHcESHA="


def test_rest_v1_healthz(lambda_handler):
    response, body = invoke(lambda_handler, "api-rest-healthz.json")
    assert response["statusCode"] == 200 and body["ready"] is True


def test_a_bad_body_through_lambda_is_a_json_error_not_a_crash(lambda_handler):
    event = json.loads((EVENTS / "api-http-post.json").read_text())
    event["body"] = base64.b64encode(b"definitely not an image").decode()
    response = lambda_handler(event, LambdaContext())
    assert response["statusCode"] == 415
    assert json.loads(response["body"])["error"]["code"] == "unsupported_media_type"


def test_behind_a_rest_api_stage_the_docs_and_the_page_link_inside_the_stage(lambda_handler):
    """API Gateway's URL is https://.../prod/: links must not jump out of the stage."""
    event = json.loads((EVENTS / "api-rest-healthz.json").read_text())
    event.update(path="/docs", requestContext={**event["requestContext"], "path": "/prod/docs"})
    docs = lambda_handler(event, LambdaContext())
    assert docs["statusCode"] == 200 and "'/prod/openapi.json'" in docs["body"]
    event.update(path="/", requestContext={**event["requestContext"], "path": "/prod/"})
    page = lambda_handler(event, LambdaContext())["body"]
    assert 'src="static/app.js"' in page and 'href="/' not in page
