"""`ocr read --format json|text|hocr|alto|pdf [-o PATH]`, run as a user runs it."""

import json
import subprocess
import sys
from pathlib import Path

import pypdfium2 as pdfium
from lxml import etree, html

from tests.conftest import SAMPLES

OCR = str(Path(sys.executable).with_name("ocr"))


def run_ocr(*args: str, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run([OCR, *args], capture_output=True, timeout=300, **kwargs)


def test_json_is_the_same_by_format_and_by_the_json_flag():
    by_flag = run_ocr("read", "--json", str(SAMPLES / "line.png"))
    by_format = run_ocr("read", "--format", "json", str(SAMPLES / "line.png"))
    assert by_flag.returncode == by_format.returncode == 0
    assert json.loads(by_flag.stdout) == json.loads(by_format.stdout)


def test_one_file_in_hocr_goes_to_stdout():
    done = run_ocr("read", "--format", "hocr", str(SAMPLES / "receipt.png"))
    assert done.returncode == 0, done.stderr
    tree = html.document_fromstring(done.stdout)
    lines = [e.text_content() for e in tree.find_class("ocr_line")]
    assert len(lines) == 6 and lines[0].startswith("小店收据")
    assert 'image "receipt.png"' in tree.find_class("ocr_page")[0].get("title")


def test_a_pdf_goes_to_the_file_given_with_o_and_holds_the_text(tmp_path):
    target = tmp_path / "receipt.searchable.pdf"
    done = run_ocr("read", "--format", "pdf", "-o", str(target), str(SAMPLES / "receipt.png"))
    assert done.returncode == 0 and done.stdout == b""
    text = pdfium.PdfDocument(target.read_bytes())[0].get_textpage().get_text_range()
    assert "Corner Shop Receipt" in text and "谢谢惠顾" in text


def test_a_pdf_to_a_pipe_is_the_bytes_of_the_pdf():
    done = run_ocr("read", "--format", "pdf", str(SAMPLES / "line.png"))
    assert done.returncode == 0 and done.stdout.startswith(b"%PDF-")
    assert "OCR" in pdfium.PdfDocument(done.stdout)[0].get_textpage().get_text_range()


def test_several_files_need_a_folder_and_get_one_document_each(tmp_path):
    files = [str(SAMPLES / "line.png"), str(SAMPLES / "receipt.png")]
    refused = run_ocr("read", "--format", "alto", *files)
    assert refused.returncode == 2 and b"-o" in refused.stderr and refused.stdout == b""
    folder = tmp_path / "out"
    done = run_ocr("read", "--format", "alto", "-o", str(folder), *files)
    assert done.returncode == 0, done.stderr
    assert sorted(p.name for p in folder.iterdir()) == ["line.png.alto.xml", "receipt.png.alto.xml"]
    alto = etree.parse(str(folder / "receipt.png.alto.xml")).getroot()
    assert alto.findtext(".//{*}fileName") == "receipt.png"


def test_a_failing_file_is_reported_and_the_others_are_written(tmp_path):
    bogus = tmp_path / "notes.png"
    bogus.write_text("not an image")
    folder = tmp_path / "out"
    done = run_ocr("read", "--format", "pdf", "-o", str(folder), str(bogus), str(SAMPLES / "line.png"))
    assert done.returncode == 1
    assert b"notes.png" in done.stderr
    assert [p.name for p in folder.iterdir()] == ["line.png.pdf"]


def test_text_goes_to_the_file_given_with_o(tmp_path):
    target = tmp_path / "line.txt"
    done = run_ocr("read", "--format", "txt", "--mode", "line", "-o", str(target), str(SAMPLES / "line.png"))
    assert done.returncode == 0 and done.stdout == b""
    assert target.read_text(encoding="utf-8").replace(" ", "").strip() == "光学字符识别OCR2026"


def test_json_and_another_format_at_once_is_a_usage_error():
    done = run_ocr("read", "--json", "--format", "pdf", str(SAMPLES / "line.png"))
    assert done.returncode == 2 and b"--json" in done.stderr


def test_an_unknown_format_is_refused_by_the_parser():
    done = run_ocr("read", "--format", "docx", str(SAMPLES / "line.png"))
    assert done.returncode == 2 and b"docx" in done.stderr


def test_a_pdf_is_not_written_to_a_terminal():
    import os
    import pty

    terminal, attached = pty.openpty()
    try:
        done = subprocess.run([OCR, "read", "--format", "pdf", str(SAMPLES / "line.png")], stdout=attached,
                              stderr=subprocess.PIPE, timeout=300)
    finally:
        os.close(attached)
        os.close(terminal)
    assert done.returncode == 2 and b"terminal" in done.stderr
