from concurrent.futures import ThreadPoolExecutor

import pytest

from ocr_engine import InvalidParameter, Settings
from tests.conftest import SAMPLES


def test_settings_come_from_OCR_variables_with_defaults():
    settings = Settings.from_env({"OCR_MAX_PAGES": "7", "OCR_THREADS": "3"})
    assert (settings.max_pages, settings.intra_op_threads) == (7, 3)
    assert Settings.from_env({}).max_pages == Settings().max_pages


def test_a_malformed_setting_is_a_clear_error():
    with pytest.raises(InvalidParameter, match="OCR_MAX_BYTES must be a whole number"):
        Settings.from_env({"OCR_MAX_BYTES": "lots"})


def test_concurrent_reads_from_threads_match_sequential_reads(engine):
    paths = [SAMPLES / "receipt.png", SAMPLES / "line.png"] * 4
    expected = [engine.read(p).to_dict() for p in paths]
    with ThreadPoolExecutor(max_workers=4) as pool:
        got = list(pool.map(lambda p: engine.read(p).to_dict(), paths))
    assert got == expected
