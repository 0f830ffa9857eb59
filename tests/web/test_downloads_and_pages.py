"""The page's downloads in every format the API renders, fetched from the API with the
key the person gave, and a document shown one page at a time over images of its pages,
with previous / next / page number. Chromium through Playwright against the real app,
which here requires an API key."""

from pathlib import Path

import pytest

from testkit.born_digital import born_digital_pdf
from tests.conftest import SAMPLES, LiveServer
from tests.web.conftest import ARTIFACTS, OCR_TIMEOUT_MS

KEY = "k-web-downloads-1"
# format: (the answer's Content-Type, the file's suffix, what its first bytes hold)
FORMATS = {
    "text": ("text/plain; charset=utf-8", ".txt", None),
    "pdf": ("application/pdf", ".pdf", b"%PDF-"),
    "hocr": ("text/html; charset=utf-8", ".hocr.html", b"<?xml"),
    "alto": ("application/xml", ".alto.xml", b"<?xml"),
    "markdown": ("text/markdown; charset=utf-8", ".md", None),
}
PAGE_TEXTS = ["First page of the report", "Second page holds the totals", "Third page is the appendix"]


@pytest.fixture(scope="module")
def keyed_server():
    server = LiveServer(env={"OCR_API_KEY": KEY})
    yield server.url
    server.stop()


@pytest.fixture
def page(browser, keyed_server):
    context = browser.new_context(viewport={"width": 1280, "height": 900}, accept_downloads=True)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("console", lambda message: errors.append(message.text) if "Content Security Policy" in message.text
            else None)
    page.goto(keyed_server + "/")
    page.fill("#api-key", KEY)
    yield page
    context.close()
    assert not errors, f"JavaScript errors or CSP violations on the page: {errors}"


def visible_box_texts(page) -> list[str]:
    return page.locator("#overlay figure:not([hidden]) .box title").all_text_contents()


def test_every_format_downloads_from_the_api_with_its_type(page):
    page.set_input_files("#file-input", str(SAMPLES / "line.png"))
    page.wait_for_selector("#lines .line", timeout=OCR_TIMEOUT_MS)
    buttons = page.locator("#downloads button[data-format]")
    assert sorted(buttons.evaluate_all("els => els.map(e => e.dataset.format)")) == sorted(FORMATS)
    for fmt, (content_type, suffix, start) in FORMATS.items():
        with page.expect_response(lambda r: f"format={fmt}" in r.url, timeout=OCR_TIMEOUT_MS) as answer, \
                page.expect_download(timeout=OCR_TIMEOUT_MS) as download:
            page.click(f'#downloads button[data-format="{fmt}"]')
        assert answer.value.status == 200
        assert answer.value.request.headers["x-api-key"] == KEY  # the key the person gave
        assert answer.value.headers["content-type"] == content_type
        assert download.value.suggested_filename == "line" + suffix
        data = Path(download.value.path()).read_bytes()
        if start is not None:
            assert data.startswith(start), data[:40]
        if fmt in ("text", "markdown"):
            assert "OCR" in data.decode("utf-8")
        if fmt == "alto":
            assert b"alto" in data[:400]
    assert "Downloaded" in (page.locator("#download-status").text_content() or "")
    assert page.locator("#error").is_hidden()


def test_a_download_without_the_key_shows_the_error(page):
    page.set_input_files("#file-input", str(SAMPLES / "line.png"))
    page.wait_for_selector("#lines .line", timeout=OCR_TIMEOUT_MS)
    page.fill("#api-key", "not-the-key")
    page.click('#downloads button[data-format="pdf"]')
    page.locator("#error").wait_for(state="visible", timeout=OCR_TIMEOUT_MS)
    assert "401" in page.locator("#error").inner_text() or "403" in page.locator("#error").inner_text()


def test_a_pdf_is_shown_a_page_at_a_time_over_its_page_images(page, tmp_path):
    pdf = tmp_path / "report.pdf"
    pdf.write_bytes(born_digital_pdf([[text] for text in PAGE_TEXTS]))
    ARTIFACTS.mkdir(exist_ok=True)
    page.set_input_files("#file-input", str(pdf))
    page.wait_for_selector("#lines .line", timeout=OCR_TIMEOUT_MS)

    nav = page.locator("#page-nav")
    assert nav.is_visible() and page.input_value("#page-number") == "1"
    assert page.locator("#page-prev").is_disabled() and page.locator("#page-next").is_enabled()
    assert page.locator("#overlay figure:not([hidden])").count() == 1
    assert visible_box_texts(page) == [PAGE_TEXTS[0]]

    image = page.locator("#overlay figure:not([hidden]) img")
    assert image.evaluate("img => img.complete && img.naturalWidth > 100")  # the page's own image, under the CSP
    assert "Page 1" in (image.get_attribute("alt") or "")
    shown, box = image.bounding_box(), page.locator("#overlay figure:not([hidden]) .box").bounding_box()
    assert shown and box and shown["y"] <= box["y"] and box["y"] + box["height"] <= shown["y"] + shown["height"]

    page.click("#page-next")
    assert page.input_value("#page-number") == "2"
    assert visible_box_texts(page) == [PAGE_TEXTS[1]]  # page 2's boxes
    assert "Page 2" in (page.locator("#overlay figure:not([hidden]) img").get_attribute("alt") or "")
    assert "2" in (page.locator("#page-status").text_content() or "")  # said to a screen reader

    page.fill("#page-number", "3")
    page.press("#page-number", "Enter")
    assert visible_box_texts(page) == [PAGE_TEXTS[2]] and page.locator("#page-next").is_disabled()

    page.focus("#page-prev")  # the keyboard works the buttons
    page.keyboard.press("Enter")
    assert visible_box_texts(page) == [PAGE_TEXTS[1]]

    page.locator("#lines .line").first.click()  # a line of another page brings its page
    assert page.input_value("#page-number") == "1" and visible_box_texts(page) == [PAGE_TEXTS[0]]
    page.screenshot(path=str(ARTIFACTS / "web-page-document.png"), full_page=True)


def test_controls_have_labels(page):
    for control in ("#page-number", "#mode", "#api-key"):
        assert page.locator(control).evaluate("el => el.labels.length > 0"), control
    for button in page.locator("#downloads button, #page-nav button").all():
        assert (button.text_content() or "").strip()
