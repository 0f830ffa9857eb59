"""The drop folder's outputs in the formats OCR_OUTPUT_FORMATS lists, on moto's server: each
next to the .json, the .json written last (it marks the file done), stale outputs of every
format removed when a newer version of the file fails or is read with other settings."""

import pypdfium2 as pdfium
import pytest
from lxml import etree, html

from handler.config import ServiceSettings
from handler.drop_folder import DropFolderLayout
from handler.invoke import LambdaContext
from ocr_engine.errors import SettingsError
from tests.aws_fixtures import BUCKET, with_layout
from tests.conftest import SAMPLES

EVERY_FORMAT = "json,txt,pdf,hocr,alto"
SUFFIXES = [".txt", ".pdf", ".hocr.html", ".alto.xml", ".json"]


def drop(drop_folder, worker, key: str, data: bytes) -> dict:
    drop_folder.drain()
    drop_folder.s3.put_object(Bucket=BUCKET, Key=key, Body=data)
    return worker.handle(drop_folder.lambda_event(expected=1), LambdaContext())


def configured(worker, formats: str):
    """The worker as OCR_OUTPUT_FORMATS=`formats` would have started it."""
    settings = ServiceSettings.from_env({"OCR_OUTPUT_FORMATS": formats})
    return with_layout(worker, renderings=DropFolderLayout.of(settings).renderings)



def get(drop_folder, key: str) -> dict:
    return drop_folder.s3.get_object(Bucket=BUCKET, Key=key)


def test_every_listed_format_is_written_beside_the_json_and_the_json_last(drop_folder, worker, put_keys):
    worker = configured(worker, EVERY_FORMAT)
    assert drop(drop_folder, worker, "incoming/formats/receipt.png", (SAMPLES / "receipt.png").read_bytes()) == {
        "batchItemFailures": []}
    base = "results/formats/receipt.png"
    assert put_keys == [base + suffix for suffix in SUFFIXES]  # in the listed order, the .json last
    result = drop_folder.json(base + ".json")
    lines = [line["text"] for line in result["lines"]]
    etag = result["source"]["etag"]
    types = {}
    for suffix in SUFFIXES:
        obj = get(drop_folder, base + suffix)
        assert obj["Metadata"]["source-etag"] == etag  # each output says which version it is of
        types[suffix] = obj["ContentType"]
    assert types == {".txt": "text/plain; charset=utf-8", ".pdf": "application/pdf",
                     ".hocr.html": "text/html; charset=utf-8", ".alto.xml": "application/xml",
                     ".json": "application/json"}
    pdf = get(drop_folder, base + ".pdf")["Body"].read()
    assert pdfium.PdfDocument(pdf)[0].get_textpage().get_text_range().split("\r\n") == lines
    hocr = html.document_fromstring(get(drop_folder, base + ".hocr.html")["Body"].read())
    assert [e.text_content() for e in hocr.find_class("ocr_line")] == lines
    assert 'image "receipt.png"' in hocr.find_class("ocr_page")[0].get("title")
    alto = etree.fromstring(get(drop_folder, base + ".alto.xml")["Body"].read())
    assert len(alto.findall(".//{*}TextLine")) == len(lines) and alto.findtext(".//{*}fileName") == "receipt.png"


def test_a_pdf_document_gets_its_searchable_pdf_page_by_page(drop_folder, worker):
    from PIL import Image

    from tests.conftest import encode

    worker = configured(worker, "json,pdf")
    receipt = Image.open(SAMPLES / "receipt.png").convert("RGB")
    source = encode(receipt, "PDF", save_all=True, append_images=[receipt], resolution=100)
    assert drop(drop_folder, worker, "incoming/formats/two.pdf", source) == {"batchItemFailures": []}
    result = drop_folder.json("results/formats/two.pdf.json")
    searchable = pdfium.PdfDocument(get(drop_folder, "results/formats/two.pdf.pdf")["Body"].read())
    assert len(searchable) == 2
    for index, page in enumerate(result["pages"]):
        lines = [line["text"] for line in page["lines"]]
        assert searchable[index].get_textpage().get_text_range().split("\r\n") == lines
    assert "results/formats/two.pdf.txt" not in drop_folder.keys("results/formats/")  # not listed, not written


def test_a_duplicate_delivery_writes_no_format_again(drop_folder, worker, put_keys):
    worker = configured(worker, EVERY_FORMAT)
    drop_folder.drain()
    drop_folder.s3.put_object(Bucket=BUCKET, Key="incoming/formats/dup.png", Body=(SAMPLES / "line.png").read_bytes())
    event = drop_folder.lambda_event(expected=1)
    assert worker.handle(event, LambdaContext()) == {"batchItemFailures": []}
    assert len(put_keys) == len(SUFFIXES)
    assert worker.handle(event, LambdaContext()) == {"batchItemFailures": []}
    assert len(put_keys) == len(SUFFIXES)


def test_an_error_json_removes_the_stale_outputs_of_every_format(drop_folder, worker):
    key, base = "incoming/formats/later-broken.png", "results/formats/later-broken.png"
    drop(drop_folder, configured(worker, EVERY_FORMAT), key, (SAMPLES / "line.png").read_bytes())
    assert {base + s for s in SUFFIXES} <= drop_folder.keys("results/formats/")
    # the setting changed since: stale outputs go all the same
    drop(drop_folder, configured(worker, "json,txt"), key, b"not an image any more")
    assert {k for k in drop_folder.keys("results/formats/") if k.startswith(base)} == {base + ".error.json"}


def test_a_newer_version_read_with_fewer_formats_leaves_none_of_the_older_outputs(drop_folder, worker):
    key, base = "incoming/formats/fewer.png", "results/formats/fewer.png"
    drop(drop_folder, configured(worker, EVERY_FORMAT), key, (SAMPLES / "line.png").read_bytes())
    drop(drop_folder, configured(worker, "json,txt"), key, (SAMPLES / "receipt.png").read_bytes())
    assert {k for k in drop_folder.keys("results/formats/") if k.startswith(base)} == {base + ".json", base + ".txt"}
    assert "Corner Shop" in get(drop_folder, base + ".txt")["Body"].read().decode()


def test_the_setting_defaults_to_json_and_text_and_refuses_unknown_formats():
    from handler.lambda_env import function_environment

    default = ServiceSettings.from_env({})
    assert default.output_formats == "json,txt"
    assert [f.name for f in DropFolderLayout.of(default).renderings] == ["text"]
    assert function_environment("worker", "bucket")["OCR_OUTPUT_FORMATS"] == "json,txt"  # the stack's, from here
    with pytest.raises(SettingsError, match="OCR_OUTPUT_FORMATS.*docx"):
        ServiceSettings.from_env({"OCR_OUTPUT_FORMATS": "json,docx"})
    only_pdf = DropFolderLayout.of(ServiceSettings.from_env({"OCR_OUTPUT_FORMATS": "pdf"}))
    assert [f.name for f in only_pdf.renderings] == ["pdf"]  # the .json is written all the same
