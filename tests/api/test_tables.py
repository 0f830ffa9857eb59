"""`tables` and Markdown on POST /api/v1/ocr, through real uvicorn: tables=true as a query or
form field fills pages[].tables; format=markdown or Accept: text/markdown answers Markdown
with the tables as pipe tables; a `tables` that is not a yes or no is 422."""

import io

import httpx
import pytest

from testkit.tables import DrawnTable, draw_page
from tests.api.test_http import assert_error

OCR = "/api/v1/ocr"
TABLE = [["名称", "数量", "单价"], ["苹果", "3", "4.50"], ["香蕉", "12", "0.25"], ["樱桃", "7", "19.00"]]


@pytest.fixture(scope="module")
def client(live_server):
    with httpx.Client(base_url=live_server, timeout=120) as c:
        yield c


@pytest.fixture(scope="module")
def png() -> bytes:
    buffer = io.BytesIO()
    draw_page(["水果价格表", DrawnTable(TABLE, style="borderless")]).save(buffer, format="PNG")
    return buffer.getvalue()


def test_tables_true_as_a_query_field_fills_the_pages_tables(client, png):
    response = client.post(OCR, content=png, headers={"content-type": "image/png"}, params={"tables": "true"})
    assert response.status_code == 200, response.text
    page = response.json()["pages"][0]
    (table,) = page["tables"]
    assert (table["rows"], table["cols"]) == (4, 3)
    cells = {(c["row"], c["col"]): c for c in table["cells"]}
    assert cells[(1, 0)]["text"] == "苹果" and cells[(3, 2)]["text"] == "19.00"
    assert [page["lines"][i]["text"] for i in cells[(2, 1)]["lines"]] == ["12"]  # indices into the page's lines


def test_without_tables_pages_say_none_and_as_a_form_field_false_is_false(client, png):
    response = client.post(OCR, files={"image": ("t.png", png, "image/png")}, data={"tables": "false"})
    assert response.status_code == 200, response.text
    assert response.json()["pages"][0]["tables"] == []


@pytest.mark.parametrize("how", [{"params": {"format": "markdown"}}, {"headers": {"accept": "text/markdown"}}])
def test_markdown_is_asked_for_by_name_or_accept_and_has_the_table(client, png, how):
    headers = {"content-type": "image/png", **how.get("headers", {})}
    response = client.post(OCR, content=png, headers=headers, params=how.get("params"))
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "text/markdown; charset=utf-8"
    assert response.text.startswith("水果价格表\n\n| 名称 | 数量 | 单价 |\n| --- | --- | --- |\n| 苹果 | 3 | 4.50 |")


def test_a_tables_value_that_is_not_yes_or_no_is_422(client, png):
    assert_error(client.post(OCR, files={"image": ("t.png", png, "image/png")}, data={"tables": "maybe"}),
                 422, "invalid_parameter")
