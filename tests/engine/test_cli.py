"""`ocr read --json` and `ocr packs`, run as a user runs them."""

import json
import subprocess
import sys
from pathlib import Path

from tests.conftest import ROOT, SAMPLES

OCR = str(Path(sys.executable).with_name("ocr"))


def run_ocr(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([OCR, *args], capture_output=True, text=True, timeout=300)


def test_read_json_reports_every_file_and_goes_on_after_a_failure(tmp_path):
    bogus = tmp_path / "notes.png"
    bogus.write_text("not an image")
    done = run_ocr("read", "--json", str(SAMPLES / "line.png"), str(bogus), str(tmp_path / "missing.jpg"),
                   str(SAMPLES / "receipt.png"))
    assert done.returncode == 1  # a file failed
    results = json.loads(done.stdout)["results"]
    assert [r["file"] for r in results] == [str(SAMPLES / "line.png"), str(bogus), str(tmp_path / "missing.jpg"),
                                            str(SAMPLES / "receipt.png")]
    good, bad, missing, page = results
    assert "OCR" in good["text"] and "error" not in good
    assert bad["error"]["code"] == "unsupported_media_type" and bad["error"]["message"]
    assert missing["error"]["code"] == "invalid_parameter"
    assert len(page["lines"]) == 6
    for line in page["lines"]:
        assert set(line) == {"text", "confidence", "box"}
        assert 0 <= line["confidence"] <= 1
        assert len(line["box"]) == 4 and all(len(point) == 2 for point in line["box"])
    assert "notes.png" in done.stderr  # progress and errors go to stderr, never stdout


def test_read_without_json_prints_the_text_and_exits_zero():
    done = run_ocr("read", "--mode", "line", str(SAMPLES / "line.png"))
    assert done.returncode == 0
    assert done.stdout.replace(" ", "").strip() == "光学字符识别OCR2026"


def test_a_bad_mode_is_refused_by_the_parser():
    done = run_ocr("read", "--mode", "sideways", str(SAMPLES / "line.png"))
    assert done.returncode == 2 and "sideways" in done.stderr


def test_a_missing_pack_fails_with_how_to_build_one(tmp_path):
    done = run_ocr("read", "--pack", str(tmp_path / "no-such-pack"), str(SAMPLES / "line.png"))
    assert done.returncode == 2
    assert "ocr pack build" in done.stderr and "Traceback" not in done.stderr


def test_packs_lists_the_default_pack_with_its_manifest():
    done = run_ocr("packs")
    assert done.returncode == 0
    packs = {p["name"]: p for p in json.loads(done.stdout)}
    assert "ppocr-v6" in packs
    assert "rapidocr" in {source["package"] for source in packs["ppocr-v6"]["sources"]}


def test_json_stays_valid_for_a_file_name_that_is_not_utf8(tmp_path):
    import os

    odd = os.path.join(os.fsencode(tmp_path), b"receipt-\xff.png")
    with open(odd, "wb") as handle:
        handle.write((SAMPLES / "line.png").read_bytes())
    done = subprocess.run([sys.executable, "-m", "ocr_engine.cli", "read", "--json", os.fsdecode(odd),
                           str(SAMPLES / "line.png")],
                          capture_output=True, cwd=ROOT, env={**os.environ, "PYTHONIOENCODING": "utf-8:strict"})
    assert done.returncode == 0, done.stderr[-2000:]
    first, second = json.loads(done.stdout.decode("utf-8"))["results"]
    assert first["file"].endswith("receipt-\\xff.png") and "OCR" in first["text"] and "OCR" in second["text"]
