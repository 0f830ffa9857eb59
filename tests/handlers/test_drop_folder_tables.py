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
