"""Security headers on every response, through uvicorn: a strict CSP for the page, docs
without a CDN, no caching of API answers, no server banner, the request id on errors,
COOP and CORP same-origin everywhere."""

import asyncio
import base64
import hashlib
import json
import re

import httpx
import pytest
from fastapi import Request

from tests.conftest import SAMPLES


@pytest.fixture(scope="module")
def client(live_server):
    with httpx.Client(base_url=live_server, timeout=120) as c:
        yield c


def test_the_page_has_a_strict_policy_and_no_server_banner(client):
    page = client.get("/")
    assert page.status_code == 200 and "server" not in page.headers
    csp = page.headers["content-security-policy"]
    assert "script-src 'self';" in csp and "frame-ancestors 'none'" in csp and "unsafe" not in csp
    assert page.headers["x-content-type-options"] == "nosniff" and page.headers["x-frame-options"] == "DENY"
    assert page.headers["referrer-policy"] == "no-referrer" and "camera=()" in page.headers["permissions-policy"]
    assert "<script>" not in page.text and "style=" not in page.text  # nothing inline for the policy to allow


def test_api_answers_are_not_cached(client):
    answer = client.post("/api/v1/ocr", content=(SAMPLES / "line.png").read_bytes(),
                         headers={"content-type": "image/png"})
    assert answer.status_code == 200 and answer.headers["cache-control"] == "no-store"
    refused = client.post("/api/v1/ocr", content=b"not an image", headers={"content-type": "image/png"})
    assert refused.status_code == 415 and refused.headers["cache-control"] == "no-store"
    assert refused.headers["x-content-type-options"] == "nosniff"


def test_the_docs_load_swagger_ui_from_the_app_itself(client):
    docs = client.get("/docs")
    assert docs.status_code == 200
    assert not re.search(r"(src|href)=\"https?://", docs.text), "an external script or style"
    (inline,) = re.findall(r"<script>(.*?)</script>", docs.text, flags=re.S)
    digest = base64.b64encode(hashlib.sha256(inline.encode()).digest()).decode()
    assert f"'sha256-{digest}'" in docs.headers["content-security-policy"]
    for asset in re.findall(r"(?:src|href)=\"(/swagger/[^\"]+)\"", docs.text):
        assert client.get(asset).status_code == 200, asset


def test_a_500_carries_the_request_id_and_the_headers():
    from handler.api import app

    request = Request({"type": "http", "method": "GET", "path": "/api/v1/ocr", "headers": [], "query_string": b""})
    loop = asyncio.new_event_loop()  # never the thread's current loop (Mangum's tests use that)
    try:
        response = loop.run_until_complete(app.exception_handlers[Exception](request, RuntimeError("a bug")))
    finally:
        loop.close()
    body = json.loads(response.body)
    assert response.status_code == 500 and body["error"]["code"] == "internal_error"
    assert "a bug" not in response.body.decode()
    assert response.headers["x-request-id"] == body["request_id"]
    assert response.headers["cache-control"] == "no-store" and response.headers["x-frame-options"] == "DENY"
    assert response.headers["cross-origin-opener-policy"] == "same-origin"
    assert response.headers["cross-origin-resource-policy"] == "same-origin"


def test_a_slash_too_many_is_not_found_not_a_redirect_to_a_forged_host(client):
    response = client.get("/healthz/", headers={"host": "evil.example"}, follow_redirects=False)
    assert response.status_code == 404 and "location" not in response.headers


@pytest.mark.parametrize("request_of", [
    lambda c: c.get("/"),
    lambda c: c.post("/api/v1/ocr", content=(SAMPLES / "line.png").read_bytes(), headers={"content-type": "image/png"}),
    lambda c: c.post("/api/v1/ocr", content=b"not an image", headers={"content-type": "image/png"}),
    lambda c: c.get("/api/v1/nowhere"),
    lambda c: c.get("/static/app.js"),
], ids=["page", "ocr", "ocr refused", "not found", "static file"])
def test_every_answer_keeps_other_origins_out(client, request_of):
    answer = request_of(client)
    assert answer.headers["cross-origin-opener-policy"] == "same-origin"
    assert answer.headers["cross-origin-resource-policy"] == "same-origin"
