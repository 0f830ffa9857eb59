import io
import json
from pathlib import Path

import pytest
from PIL import Image

from ocr_engine import OcrEngine, Settings

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "samples"
EVAL = ROOT.parent / "shared" / "eval"


def eval_records(kind: str) -> list[dict]:
    assert (EVAL / "labels.jsonl").is_file(), f"the tests read the eval set from {EVAL} (../shared/eval)"
    rows = [json.loads(line) for line in (EVAL / "labels.jsonl").read_text(encoding="utf-8").splitlines() if line]
    return [row for row in rows if row["kind"] == kind]


def encode(image: Image.Image, fmt: str = "PNG", **params) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format=fmt, **params)
    return buffer.getvalue()


@pytest.fixture(scope="session")
def engine() -> OcrEngine:
    """The default pack, as `ocr read` and the service load it."""
    return OcrEngine(settings=Settings.from_env(threads=2))
