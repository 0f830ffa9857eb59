from concurrent.futures import ThreadPoolExecutor

import pytest

from ocr_engine import Settings
from ocr_engine.errors import SettingsError
from tests.conftest import SAMPLES


def test_settings_come_from_OCR_variables_with_defaults():
    settings = Settings.from_env({"OCR_MAX_PAGES": "7", "OCR_THREADS": "3"})
    assert (settings.max_pages, settings.intra_op_threads) == (7, 3)
    assert Settings.from_env({}).max_pages == Settings().max_pages


def test_a_malformed_setting_is_a_clear_error_and_not_a_client_error():
    with pytest.raises(SettingsError, match="OCR_MAX_BYTES.*'lots'") as raised:
        Settings.from_env({"OCR_MAX_BYTES": "lots"})
    assert raised.value.code == "invalid_settings"
    with pytest.raises(SettingsError, match="OCR_MIN_LINE_CONFIDENCE"):
        Settings.from_env({"OCR_MIN_LINE_CONFIDENCE": "2"})


def test_the_detector_and_the_gates_are_settings(monkeypatch):
    monkeypatch.setenv("OCR_DETECTOR__TEXT_HEIGHT", "16")
    monkeypatch.setenv("OCR_ORIENTATION_THRESHOLD", "0.95")
    settings = Settings.from_env()
    assert (settings.detector.text_height, settings.orientation_threshold) == (16, 0.95)
    assert settings.detector.min_side == 736


def test_concurrent_reads_from_threads_match_sequential_reads(engine):
    paths = [SAMPLES / "receipt.png", SAMPLES / "line.png"] * 4
    expected = [engine.read(p).to_dict() for p in paths]
    with ThreadPoolExecutor(max_workers=4) as pool:
        got = list(pool.map(lambda p: engine.read(p).to_dict(), paths))
    assert got == expected
