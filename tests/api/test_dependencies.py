"""The routes take the settings, the layout, the engine and the model through FastAPI's
Depends (handler/dependencies.py): a test replaces them with app.dependency_overrides, and
the jobs routes take no engine."""

import uuid

import pytest
from fastapi.testclient import TestClient

from handler import dependencies, providers
from tests.conftest import SAMPLES


@pytest.fixture
def app():
    from handler.api import app

    yield app
    app.dependency_overrides.clear()


def no_engine():
    raise AssertionError("the engine was asked for")


def test_without_a_bucket_the_jobs_api_answers_503_and_asks_for_no_engine(app):
    app.dependency_overrides.update({
        dependencies.settings: lambda: providers.settings().model_copy(update={"bucket": None}),  # OCR_BUCKET unset
        dependencies.engine: no_engine,
    })
    client = TestClient(app)
    for response in (client.post("/api/v1/jobs", json={}), client.get(f"/api/v1/jobs/{uuid.uuid4()}")):
        assert response.status_code == 503
        assert response.json()["error"]["code"] == "jobs_unavailable"


def test_the_ocr_route_reads_its_limits_from_the_settings_it_is_given(app):
    app.dependency_overrides[dependencies.settings] = lambda: providers.settings().model_copy(
        update={"sync_max_bytes": 100})
    response = TestClient(app).post("/api/v1/ocr", content=(SAMPLES / "line.png").read_bytes(),
                                    headers={"content-type": "image/png"})
    assert response.status_code == 413 and response.json()["error"]["code"] == "payload_too_large"
