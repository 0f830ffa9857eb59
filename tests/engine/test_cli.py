"""`ocr read --json` and `ocr packs`, run as a user runs them."""

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

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
        assert set(line) == {"text", "confidence", "box", "words"}  # words: added, nothing renamed
        assert line["words"] and all(set(word) == {"text", "confidence", "box"} for word in line["words"])
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


def test_pages_2_3_and_text_layer_choose_the_pages_and_where_their_text_comes_from(tmp_path):
    from testkit.born_digital import born_digital_pdf

    pdf = tmp_path / "doc.pdf"
    pdf.write_bytes(born_digital_pdf([[f"Page number {n}"] for n in range(1, 5)]))
    for layer, source in (("auto", "text"), ("ignore", "ocr")):
        done = run_ocr("read", "--json", "--pages", "2-3", "--text-layer", layer, str(pdf))
        assert done.returncode == 0, done.stderr
        pages = json.loads(done.stdout)["results"][0]["pages"]
        assert [(p["number"], p["source"], p["text"]) for p in pages] == [
            (2, source, "Page number 2"), (3, source, "Page number 3")]
    beyond = json.loads(run_ocr("read", "--json", "--pages", "4-5", str(pdf)).stdout)["results"][0]
    assert beyond["error"]["code"] == "invalid_parameter" and "4 pages" in beyond["error"]["message"]
    malformed = run_ocr("read", "--pages", "2-x", str(pdf))
    assert malformed.returncode == 2 and "pages" in malformed.stderr


@pytest.fixture(scope="module")
def thirty_pages(tmp_path_factory) -> Path:
    """A 30-page PDF whose pages hold their own text (read from the text layer: quick)."""
    from testkit.born_digital import born_digital_pdf

    path = tmp_path_factory.mktemp("progress") / "thirty.pdf"
    path.write_bytes(born_digital_pdf([[f"Page {n} of a long report"] for n in range(1, 31)]))
    return path


def pages_shown(stderr: str, total: int) -> set[int]:
    return {int(done) for done in re.findall(rf"\b(\d+)/{total}\b", stderr)}


def test_progress_shows_each_page_of_a_long_document(thirty_pages):
    done = run_ocr("read", "--progress", "--json", str(thirty_pages))
    assert done.returncode == 0, done.stderr
    assert len(json.loads(done.stdout)["results"][0]["pages"]) == 30  # stdout stays the JSON alone
    shown = pages_shown(done.stderr, 30)
    assert {1, 15, 30} <= shown, done.stderr
    assert "page/s" in done.stderr and "<" in done.stderr  # the rate and the time left


def test_no_progress_when_stderr_is_not_a_terminal_unless_asked(thirty_pages):
    done = run_ocr("read", "--json", str(thirty_pages))
    assert done.returncode == 0 and not pages_shown(done.stderr, 30)


def run_on_a_terminal(*args: str) -> str:
    """`ocr read` with its stderr on a pseudo-terminal, as a user at a shell has it; what it showed there."""
    import fcntl
    import os
    import pty
    import struct
    import termios
    import threading

    leader, follower = pty.openpty()
    fcntl.ioctl(follower, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 120, 0, 0))  # rows, columns
    shown = bytearray()

    def drain() -> None:
        while True:
            try:
                chunk = os.read(leader, 4096)
            except OSError:  # the other end closed
                return
            if not chunk:
                return
            shown.extend(chunk)

    reader = threading.Thread(target=drain)
    reader.start()
    try:
        done = subprocess.run([OCR, *args], stdout=subprocess.PIPE, stderr=follower, timeout=300)
    finally:
        os.close(follower)
        reader.join(timeout=10)
        os.close(leader)
    assert done.returncode == 0
    return shown.decode(errors="replace")


def test_a_terminal_gets_progress_and_quiet_turns_it_off(thirty_pages):
    assert {1, 30} <= pages_shown(run_on_a_terminal("read", "--json", str(thirty_pages)), 30)
    assert not pages_shown(run_on_a_terminal("read", "--quiet", "--json", str(thirty_pages)), 30)


def test_several_files_show_files_done(thirty_pages):
    done = run_ocr("read", "--progress", "--mode", "line", str(SAMPLES / "line.png"), str(thirty_pages))
    assert done.returncode == 0, done.stderr
    assert {1, 2} <= pages_shown(done.stderr, 2) and "file/s" in done.stderr
    assert 30 in pages_shown(done.stderr, 30)
