"""`pages` and `text_layer` on POST /api/v1/ocr, as query or form fields, through real uvicorn."""

import httpx
import pypdfium2 as pdfium
import pytest

from testkit.born_digital import born_digital_pdf
from tests.api.test_http import assert_error

OCR = "/api/v1/ocr"
PDF = born_digital_pdf([[f"Page number {n}"] for n in range(1, 5)])
PDF_HEADERS = {"content-type": "application/pdf"}


@pytest.fixture(scope="module")
def client(live_server):
    with httpx.Client(base_url=live_server, timeout=120) as c:
        yield c


def numbered(body: dict) -> list[tuple[int, str, str]]:
    return [(page["number"], page["source"], page["text"]) for page in body["pages"]]


def test_query_pages_2_3_returns_pages_2_and_3_numbered_so(client):
    response = client.post(OCR, content=PDF, headers=PDF_HEADERS, params={"pages": "2-3"})
    assert response.status_code == 200, response.text
    assert numbered(response.json()) == [(2, "text", "Page number 2"), (3, "text", "Page number 3")]


def test_form_fields_choose_pages_and_text_layer(client):
    response = client.post(OCR, files={"image": ("doc.pdf", PDF, "application/pdf")},
                           data={"pages": "1,4", "text_layer": "ignore"})
    assert response.status_code == 200, response.text
    assert numbered(response.json()) == [(1, "ocr", "Page number 1"), (4, "ocr", "Page number 4")]


def test_an_image_is_one_page_whose_source_is_ocr(client):
    from tests.conftest import SAMPLES

    body = client.post(OCR, content=(SAMPLES / "line.png").read_bytes(), headers={"content-type": "image/png"}).json()
    assert [page["source"] for page in body["pages"]] == ["ocr"]


@pytest.mark.parametrize("pages", ["2-", "x", "0", "3-2"])
def test_a_malformed_range_is_422(client, pages):
    assert_error(client.post(OCR, content=PDF, headers=PDF_HEADERS, params={"pages": pages}), 422, "invalid_parameter")


def test_a_range_beyond_the_document_is_a_clear_422(client):
    body = assert_error(client.post(OCR, content=PDF, headers=PDF_HEADERS, params={"pages": "3-9"}), 422,
                        "invalid_parameter")
    assert "not within the document's 4 pages" in body["error"]["message"]


def test_a_bad_text_layer_is_422_as_query_or_form(client):
    assert_error(client.post(OCR, content=PDF, headers=PDF_HEADERS, params={"text_layer": "both"}), 422,
                 "invalid_parameter")
    assert_error(client.post(OCR, files={"image": ("d.pdf", PDF)}, data={"text_layer": "both"}), 422,
                 "invalid_parameter")


def test_a_few_pages_of_a_document_longer_than_the_synchronous_limit_are_read(client):
    long = born_digital_pdf([[f"Page number {n}"] for n in range(1, 31)])  # OCR_SYNC_MAX_PAGES is 20
    assert_error(client.post(OCR, content=long, headers=PDF_HEADERS), 413, "too_many_pages")
    response = client.post(OCR, content=long, headers=PDF_HEADERS, params={"pages": "30"})
    assert numbered(response.json()) == [(30, "text", "Page number 30")]
    assert_error(client.post(OCR, content=long, headers=PDF_HEADERS, params={"pages": "1-21"}), 413,
                 "too_many_pages")


def test_the_searchable_pdf_of_a_born_digital_page_holds_its_text_once(client):
    response = client.post(OCR, content=PDF, headers=PDF_HEADERS, params={"format": "pdf", "pages": "2"})
    assert response.status_code == 200, response.text
    page = pdfium.PdfDocument(response.content)[1]
    assert page.get_textpage().get_text_range().strip() == "Page number 2"
