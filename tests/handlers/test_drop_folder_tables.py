"""The drop folder's tables on moto's server: OCR_OUTPUT_FORMATS=md writes the Markdown
beside the .json and finds the tables for it; OCR_TABLES finds them for the .json alone."""

import io

from handler.config import ServiceSettings
from handler.drop_folder import DropFolderLayout
from testkit.tables import DrawnTable, draw_page
from tests.aws_fixtures import BUCKET, with_layout
from tests.handlers.test_drop_folder_formats import drop, get

TABLE = [["Item", "Qty", "Price"], ["Apple", "3", "4.50"], ["Banana", "12", "0.25"], ["Cherry", "7", "19.00"]]


def page_png() -> bytes:
    buffer = io.BytesIO()
    draw_page(["Order of 6 December", DrawnTable(TABLE, style="ruled")]).save(buffer, format="PNG")
    return buffer.getvalue()


def configured(worker, **env: str):
    layout = DropFolderLayout.of(ServiceSettings.from_env(env))
    return with_layout(worker, renderings=layout.renderings, tables=layout.tables)


def test_md_in_the_output_formats_writes_markdown_with_a_pipe_table_and_the_json_has_the_table(drop_folder, worker):
    worker = configured(worker, OCR_OUTPUT_FORMATS="json,md")
    drop(drop_folder, worker, "incoming/tables/order.png", page_png())
    base = "results/tables/order.png"
    markdown = get(drop_folder, base + ".md")
    assert markdown["ContentType"] == "text/markdown; charset=utf-8"
    text = markdown["Body"].read().decode()
    assert "Order of 6 December" in text
    assert "| Item | Qty | Price |\n| --- | --- | --- |\n| Apple | 3 | 4.50 |" in text
    (table,) = drop_folder.json(base + ".json")["pages"][0]["tables"]
    assert (table["rows"], table["cols"]) == (4, 3)


def test_ocr_tables_finds_tables_for_the_json_and_without_it_there_are_none(drop_folder, worker):
    drop(drop_folder, configured(worker, OCR_TABLES="true"), "incoming/tables/a.png", page_png())
    (table,) = drop_folder.json("results/tables/a.png.json")["pages"][0]["tables"]
    assert [cell["text"] for cell in table["cells"]][:3] == ["Item", "Qty", "Price"]
    drop(drop_folder, configured(worker), "incoming/tables/b.png", page_png())
    assert drop_folder.json("results/tables/b.png.json")["pages"][0]["tables"] == []
    assert drop_folder.s3.list_objects_v2(Bucket=BUCKET, Prefix="results/tables/b.png.md")["KeyCount"] == 0


def test_a_file_whose_own_formats_ask_for_md_gets_its_tables(drop_folder, worker):
    """The jobs API's formats=md arrives as x-amz-meta-ocr-formats: the tables are found for that file."""
    from handler.invoke import LambdaContext

    drop_folder.drain()
    drop_folder.s3.put_object(Bucket=BUCKET, Key="incoming/tables/job.png", Body=page_png(),
                              Metadata={"ocr-formats": "md"})
    worker.handle(drop_folder.lambda_event(expected=1), LambdaContext())
    text = get(drop_folder, "results/tables/job.png.md")["Body"].read().decode()
    assert "| Apple | 3 | 4.50 |" in text
    assert len(drop_folder.json("results/tables/job.png.json")["pages"][0]["tables"]) == 1


def test_a_long_document_read_in_ranges_keeps_its_tables_when_its_formats_ask_for_md(worker, drop_folder):
    """Fanned out (ranges read by whichever worker takes them, the parts assembled): each
    range finds its pages' tables, and the assembled .json and .md have every page's."""
    from tests.handlers.test_fanout import run_queue

    pages = [draw_page([DrawnTable(TABLE[:1] + [[f"Page {n}", str(n), "1.00"]], style="ruled")])
             for n in range(1, 23)]
    buffer = io.BytesIO()
    pages[0].save(buffer, format="PDF", save_all=True, append_images=pages[1:], resolution=100)
    drop_folder.drain()
    fanned = with_layout(worker, queue_url=drop_folder.queue_url, fanout_pages=20, range_pages=10)
    drop_folder.s3.put_object(Bucket=BUCKET, Key="incoming/tables/long.pdf", Body=buffer.getvalue(),
                              Metadata={"ocr-formats": "md"})
    assert all(r == {"batchItemFailures": []} for r in run_queue(drop_folder, fanned))
    result = drop_folder.json("results/tables/long.pdf.json")
    assert [len(page["tables"]) for page in result["pages"]] == [1] * 22
    text = get(drop_folder, "results/tables/long.pdf.md")["Body"].read().decode()
    assert "<!-- page 22 -->\n\n| Item | Qty | Price |\n| --- | --- | --- |\n| Page 22 | 22 | 1.00 |" in text
