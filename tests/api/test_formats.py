"""`POST /api/v1/ocr` in the other formats, through real uvicorn: chosen by the `format`
parameter (query or form field) or the Accept header, JSON still the default."""

import httpx
import pypdfium2 as pdfium
import pytest
from lxml import etree, html

from tests.conftest import SAMPLES

OCR = "/api/v1/ocr"
RECEIPT = (SAMPLES / "receipt.png").read_bytes()


@pytest.fixture(scope="module")
def client(live_server):
    with httpx.Client(base_url=live_server, timeout=120) as c:
        yield c


@pytest.fixture(scope="module")
def receipt_json(client) -> dict:
    response = client.post(OCR, content=RECEIPT, headers={"content-type": "image/png"})
    assert response.status_code == 200 and response.headers["content-type"] == "application/json"
    return response.json()


def post(client, accept: str | None = None, **params) -> httpx.Response:
    headers = {"content-type": "image/png", **({"accept": accept} if accept else {})}
    return client.post(OCR, content=RECEIPT, headers=headers, params=params)


def test_format_pdf_answers_the_image_as_a_searchable_pdf(client, receipt_json):
    response = post(client, format="pdf")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/pdf" and response.headers["vary"] == "Accept"
    assert response.headers["x-request-id"]
    text = pdfium.PdfDocument(response.content)[0].get_textpage().get_text_range()
    assert text.split("\r\n") == [line["text"] for line in receipt_json["lines"]]


@pytest.mark.parametrize("accept, media_type", [
    ("application/pdf", "application/pdf"),
    ("text/plain", "text/plain; charset=utf-8"),
    ("text/html", "text/html; charset=utf-8"),
    ("application/xhtml+xml", "text/html; charset=utf-8"),
    ("application/alto+xml", "application/xml"),
    ("application/xml", "application/xml"),
    ("*/*", "application/json"),
    ("text/*", "text/plain; charset=utf-8"),  # a tie between text types goes to plain text
    ("application/json;q=0.4, application/pdf;q=0.9", "application/pdf"),
    ("text/*;q=0.2, text/html", "text/html; charset=utf-8"),  # the more specific range gives the q
    ("image/png, */*;q=0.1", "application/json"),
])
def test_the_accept_header_chooses(client, accept, media_type):
    response = post(client, accept=accept)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == media_type


def test_the_renderings_hold_the_same_reading_as_the_json(client, receipt_json):
    lines = [line["text"] for line in receipt_json["lines"]]
    assert post(client, format="text").text == receipt_json["text"]
    hocr = html.document_fromstring(post(client, format="hocr").content)
    assert [e.text_content() for e in hocr.find_class("ocr_line")] == lines
    assert receipt_json["model"]["name"] in hocr.xpath("//meta[@name='ocr-system']/@content")[0]
    alto = etree.fromstring(post(client, format="alto").content)
    ns = "{http://www.loc.gov/standards/alto/ns-v4#}"
    assert ["".join(e.get("CONTENT", " ") for e in tl if e.tag in (ns + "String", ns + "SP"))
            for tl in alto.iter(ns + "TextLine")] == [" ".join(t.split()) for t in lines]  # words, SP between


def test_the_format_parameter_wins_over_the_accept_header(client):
    response = post(client, accept="application/pdf", format="text")
    assert response.headers["content-type"] == "text/plain; charset=utf-8"


def test_format_may_be_a_form_field(client):
    response = client.post(OCR, files={"image": ("receipt.png", RECEIPT, "image/png")}, data={"format": "hocr"})
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/html")


def test_an_unknown_format_is_an_invalid_parameter(client):
    for response in (post(client, format="docx"),
                     client.post(OCR, files={"image": ("r.png", RECEIPT)}, data={"format": "docx"})):
        assert response.status_code == 422
        assert response.json()["error"]["code"] == "invalid_parameter"


def test_an_accept_header_that_allows_no_format_is_406_in_the_error_shape(client):
    for accept in ("image/png", "application/pdf;q=0, */*;q=0"):
        response = post(client, accept=accept)
        assert response.status_code == 406, accept
        body = response.json()
        assert body["success"] is False and body["error"]["code"] == "not_acceptable"
        assert "format" in body["error"]["message"] and body["request_id"] == response.headers["x-request-id"]


def test_json_stays_the_default_and_says_it_varies_by_accept(client):
    response = post(client)
    assert response.headers["content-type"] == "application/json" and response.headers["vary"] == "Accept"
    assert response.json()["success"] is True


def test_openapi_documents_the_format_parameter_and_every_answer_type(client):
    operation = client.get("/openapi.json").json()["paths"][OCR]["post"]
    (parameter,) = [p for p in operation["parameters"] if p["name"] == "format"]
    assert parameter["in"] == "query" and set(parameter["schema"]["anyOf"][0]["enum"]) == {
        "json", "text", "hocr", "alto", "pdf", "markdown"}
    assert set(operation["responses"]["200"]["content"]) == {
        "application/json", "text/plain", "text/html", "application/xml", "application/pdf", "text/markdown"}
    assert operation["responses"]["200"]["content"]["application/pdf"]["schema"]["format"] == "binary"
    assert "406" in operation["responses"]
    form = operation["requestBody"]["content"]["multipart/form-data"]["schema"]["properties"]
    assert form["format"]["enum"] == ["json", "text", "hocr", "alto", "pdf", "markdown"]


def test_a_rendering_larger_than_a_synchronous_answer_is_413_with_the_way_round(monkeypatch):
    from fastapi.testclient import TestClient

    import handler.routes.ocr
    from handler.api import app

    monkeypatch.setattr(handler.routes.ocr, "MAX_RESPONSE_BYTES", 10_000)  # the PDF is ~28 kB
    response = TestClient(app).post(OCR, content=RECEIPT, headers={"content-type": "image/png"},
                                    params={"format": "pdf"})
    assert response.status_code == 413
    error = response.json()["error"]
    assert error["code"] == "response_too_large" and "/api/v1/jobs" in error["message"]
