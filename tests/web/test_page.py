"""The static web page, driven in Debian's Chromium through Playwright against the real app.

Needs /usr/bin/chromium (apt) and the playwright package; never downloads a browser.
"""

import json
import re
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.conftest import EVAL
from tests.web.conftest import ARTIFACTS, OCR_TIMEOUT_MS

RECEIPT = "pages/sroie_000.jpg"

def normalise(text: str) -> str:
    return re.sub(r"\s+", "", text).upper()


def ground_truth(file: str) -> dict:
    for line in (EVAL / "labels.jsonl").read_text(encoding="utf-8").splitlines():
        if line.strip():
            record = json.loads(line)
            if record["file"] == file:
                return record
    raise AssertionError(f"{file} is not in {EVAL / 'labels.jsonl'}")


@contextmanager
def watched_page(browser, live_server: str):
    """A fresh page on the app; any JavaScript error on it fails the test."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(live_server + "/")
    yield page
    context.close()
    assert not errors, f"JavaScript errors on the page: {errors}"


@pytest.fixture
def page(browser, live_server):
    with watched_page(browser, live_server) as page:
        yield page


@pytest.fixture(scope="module")
def receipt_page(browser, live_server):
    """One page with the receipt read, shared by the tests that look at a result."""
    with watched_page(browser, live_server) as page:
        page.set_input_files("#file-input", str(EVAL / RECEIPT))
        page.wait_for_selector("#lines .line", timeout=OCR_TIMEOUT_MS)
        yield page


def test_page_and_assets_are_served(page):
    assert "OCR" in page.title()
    for hook in ("#file-input", "#drop-zone", "#mode", "#api-key", "#result-text", "#lines", "#overlay", "#error",
                 "#elapsed"):
        assert page.locator(hook).count() == 1, hook
    # style.css applied: the drop zone has its dashed border; app.js ran: the busy indicator is hidden
    assert page.eval_on_selector("#drop-zone", "el => getComputedStyle(el).borderTopStyle") == "dashed"
    assert page.locator("#error").is_hidden()


def test_upload_draws_boxes_and_shows_text(receipt_page):
    page = receipt_page
    lines = page.locator("#lines .line")
    boxes = page.locator("#overlay .box")
    n_lines = lines.count()
    assert n_lines >= 5, f"only {n_lines} lines read from the receipt"
    assert boxes.count() == n_lines
    # every line item and box pair up by data-index
    line_ids = sorted(lines.evaluate_all("els => els.map(e => e.dataset.index)"))
    box_ids = sorted(boxes.evaluate_all("els => els.map(e => e.dataset.index)"))
    assert line_ids == box_ids
    # the boxes have real geometry and are drawn inside the shown image
    shown = page.locator("#overlay img").bounding_box()
    assert shown and shown["width"] > 100 and shown["height"] > 100
    first = boxes.first.bounding_box()
    assert first and first["width"] > 5 and first["height"] > 2
    assert shown["x"] - 1 <= first["x"] <= shown["x"] + shown["width"]
    assert shown["y"] - 1 <= first["y"] <= shown["y"] + shown["height"]

    truth = ground_truth(RECEIPT)
    text = normalise(page.locator("#result-text").text_content() or "")
    candidates = [normalise(t) for t in truth["text"].splitlines() if len(normalise(t)) >= 8]
    found = [c for c in candidates if c in text]
    assert len(candidates) >= 5
    assert len(found) >= 3, f"ground-truth lines found in the page text: {found} of {candidates}"

    line_texts = normalise("".join(lines.locator(".line-text").all_text_contents()))
    assert sum(c in line_texts for c in candidates) >= 3
    confidences = lines.locator(".conf").all_text_contents()
    assert all(re.fullmatch(r"\d{1,3}(\.\d)?%", c) for c in confidences), confidences[:5]
    assert re.search(r"\d+(\.\d+)?\s*s", page.locator("#elapsed").text_content() or "")
    assert page.locator("#error").is_hidden()

    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "web-page.png"), full_page=True)


def test_hovering_a_line_highlights_its_box_and_back(receipt_page):
    page = receipt_page
    target = page.locator("#lines .line").nth(2)
    index = target.get_attribute("data-index")
    box = page.locator(f'#overlay .box[data-index="{index}"]')
    target.hover()
    assert "active" in (box.get_attribute("class") or "").split()
    assert page.locator("#overlay .box.active").count() == 1
    # and hovering a box highlights its line
    other = page.locator("#overlay .box").nth(0)
    other_index = other.get_attribute("data-index")
    other.hover(force=True)
    assert "active" in (page.locator(f'#lines .line[data-index="{other_index}"]').get_attribute("class") or "").split()
    assert "active" not in (box.get_attribute("class") or "").split()


def test_download_json_matches_the_result(receipt_page):
    page = receipt_page
    with page.expect_download() as info:
        page.click("#download")
    data = json.loads(Path(info.value.path()).read_text(encoding="utf-8"))
    assert data["success"] is True
    assert len(data["lines"]) == page.locator("#lines .line").count()


def test_unsupported_file_shows_the_error(page, tmp_path):
    notes = tmp_path / "notes.png"
    notes.write_text("these are notes, not a picture\n" * 20, encoding="utf-8")
    page.set_input_files("#file-input", str(notes))
    error = page.locator("#error")
    error.wait_for(state="visible", timeout=OCR_TIMEOUT_MS)
    assert "unsupported_media_type" in error.inner_text()
    assert "415" in error.inner_text()
    assert page.locator("#lines .line").count() == 0
    assert page.locator("#busy").is_hidden()


def test_api_key_is_remembered_across_a_reload(page):
    page.fill("#api-key", "k-test-1234")
    page.reload()
    assert page.input_value("#api-key") == "k-test-1234"
    page.fill("#api-key", "")
    page.reload()
    assert page.input_value("#api-key") == ""


def test_phone_width_has_no_horizontal_scroll(browser, live_server):
    context = browser.new_context(viewport={"width": 375, "height": 740}, device_scale_factor=2, is_mobile=True,
                                  has_touch=True)
    page = context.new_page()
    try:
        page.goto(live_server + "/")
        assert page.evaluate("document.documentElement.scrollWidth") <= 375
        # with a result shown too
        page.set_input_files("#file-input", str(EVAL / RECEIPT))
        page.wait_for_selector("#lines .line", timeout=OCR_TIMEOUT_MS)
        page.click(".full-text summary")
        assert page.evaluate("document.documentElement.scrollWidth") <= 375
        assert page.locator("#overlay .sheet").bounding_box()["width"] <= 375
    finally:
        context.close()
