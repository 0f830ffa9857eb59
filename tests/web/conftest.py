"""What the page's browser tests share: Debian's Chromium, driven by Playwright, one per module."""

from pathlib import Path

import pytest
from playwright import sync_api

from tests.conftest import ROOT

CHROMIUM = Path("/usr/bin/chromium")
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
ARTIFACTS = ROOT / "test-artifacts"
OCR_TIMEOUT_MS = 90_000  # one CPU thread in the live server; a receipt takes seconds


@pytest.fixture(scope="module")
def browser():
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=ARGS)
        yield browser
        browser.close()
