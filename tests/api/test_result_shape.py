"""One result shape: the API's and the drop folder's pydantic models, built from the
result's attributes, serialise exactly as OcrResult.to_dict(), which the CLI prints."""

import json
import subprocess
import sys

from handler.models import DropResult, DropSource, ModelOut, OcrResponse
from tests.conftest import ROOT, SAMPLES


def test_the_api_and_drop_folder_models_give_the_engines_shape(engine):
    result = engine.read(SAMPLES / "receipt.png")
    wire = result.to_dict()
    assert [p["number"] for p in wire["pages"]] == [1] and wire["lines"] == wire["pages"][0]["lines"]
    model = ModelOut.of(engine.pack)
    api = OcrResponse.of(result, 0.5, model, "r-1").model_dump()
    source = DropSource(bucket="b", key="k", etag="e", size=1)
    drop = DropResult.of(result, 0.5, model, "r-1", source=source).model_dump()
    for body in (api, drop):
        assert {k: body[k] for k in wire} == wire


def test_the_cli_prints_the_same_shape(engine):
    done = subprocess.run([sys.executable, "-m", "ocr_engine.cli", "read", "--json", str(SAMPLES / "receipt.png")],
                          capture_output=True, text=True, cwd=ROOT, check=True)
    (entry,) = json.loads(done.stdout)["results"]
    assert {k: entry[k] for k in ("text", "lines", "pages")} == engine.read(SAMPLES / "receipt.png").to_dict()
