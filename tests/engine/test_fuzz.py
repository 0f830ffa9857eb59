"""Seeded mutation fuzzing of ocr_engine.io: whatever the bytes, decoding ends in the page
images or a typed OcrError (never a KeyError from a TIFF directory, a PdfiumError from a
broken page tree, a struct.error from EXIF...). Small files, so it takes seconds; bench/fuzz.py
runs the same mutations for longer."""

import random

import pytest

from ocr_engine import OcrError, Settings
from ocr_engine.io import open_pages
from testkit.mutations import mutate, outcome, seeds

MUTATIONS_PER_FORMAT = 4000
PDF_MUTATIONS = 150  # each PDF starts its renderer process (ocr_engine/pdf_render.py): ~0.1 s


@pytest.mark.parametrize("fmt", list(seeds()))
def test_mutated_files_decode_or_fail_with_a_typed_error(fmt):
    settings = Settings.from_env({})
    rng = random.Random(f"fuzz-{fmt}")
    seed = seeds()[fmt]
    escaped = []
    for _ in range(PDF_MUTATIONS if fmt == "pdf" else MUTATIONS_PER_FORMAT):
        try:
            outcome(mutate(seed, rng), settings)
        except Exception as exc:  # noqa: BLE001 - this is what the test looks for
            escaped.append(f"{type(exc).__name__}: {exc}"[:200])
    assert escaped == [], escaped[:5]


def test_a_pdf_whose_page_tree_loops_is_an_invalid_document_naming_the_page():
    looping = (b"%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n"
               b"2 0 obj << /Type /Pages /Kids [3 0 R 2 0 R] /Count 2 >> endobj\n"
               b"3 0 obj << /Type /Page /Parent 2 0 R /MediaBox [0 0 200 100] >> endobj\n"
               b"trailer << /Root 1 0 R >>\n%%EOF\n")
    with pytest.raises(OcrError) as raised:
        for _ in open_pages(looping, Settings.from_env({})):
            pass
    assert raised.value.code == "invalid_document" and "page" in raised.value.message
