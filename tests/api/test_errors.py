"""One error mechanism: every error the service can answer is a typed error whose code has
one status in handler.errors' table, and the app answers every one from that table."""

import asyncio
import json

import pytest
from fastapi import Request
from fastapi.testclient import TestClient

import handler.errors
import ocr_engine.errors
from handler.api import app
from handler.errors import STATUS_BY_CODE
from ocr_engine.errors import OcrError


def every_error_class() -> list[type[OcrError]]:
    found, todo = [], [OcrError]
    while todo:
        for sub in todo.pop().__subclasses__():
            found.append(sub)
            todo.append(sub)
    return [c for c in found if c.__module__ in (ocr_engine.errors.__name__, handler.errors.__name__)]


def test_the_table_has_every_code_once_and_nothing_else():
    codes = [c.code for c in every_error_class()]
    assert len(codes) == len(set(codes)), "two error classes share a code"
    assert set(codes) == set(STATUS_BY_CODE)


@pytest.mark.parametrize("error_class", every_error_class(), ids=lambda c: c.code)
def test_the_app_answers_each_error_with_its_status_code_and_the_error_shape(error_class):
    request = Request({"type": "http", "method": "POST", "path": "/api/v1/ocr", "headers": [], "query_string": b""})
    # a loop of its own, never the thread's current one (Mangum's tests use that)
    loop = asyncio.new_event_loop()
    try:
        response = loop.run_until_complete(app.exception_handlers[OcrError](request, error_class("what went wrong")))
    finally:
        loop.close()
    assert response.status_code == STATUS_BY_CODE[error_class.code]
    body = json.loads(response.body)
    assert body["success"] is False and body["error"] == {"code": error_class.code, "message": "what went wrong"}
    assert body["request_id"]


def test_routing_refusals_come_from_the_table():
    client = TestClient(app)
    missing = client.get("/no/such/page")
    assert (missing.status_code, missing.json()["error"]["code"]) == (STATUS_BY_CODE["not_found"], "not_found")
    wrong_method = client.get("/api/v1/ocr")
    assert (wrong_method.status_code, wrong_method.json()["error"]["code"]) == (405, "method_not_allowed")
    assert wrong_method.headers["X-Request-Id"] == wrong_method.json()["request_id"]


def test_the_openapi_schema_lists_every_status_the_table_answers():
    schema = TestClient(app).get("/openapi.json").json()
    listed = set(schema["paths"]["/api/v1/ocr"]["post"]["responses"])
    assert {str(s) for s in STATUS_BY_CODE.values()} <= listed


def test_the_openapi_request_body_lists_exactly_what_the_route_accepts():
    from handler.routes.ocr import FILE_FIELDS, OPTION_FIELDS, RAW_TYPES

    body = TestClient(app).get("/openapi.json").json()["paths"]["/api/v1/ocr"]["post"]["requestBody"]["content"]
    form = body.pop("multipart/form-data")["schema"]
    assert set(form["properties"]) == {*FILE_FIELDS, *OPTION_FIELDS}
    assert [one["required"] for one in form["oneOf"]] == [[name] for name in FILE_FIELDS]
    assert set(body) == {t + "*" if t.endswith("/") else t for t in RAW_TYPES}
