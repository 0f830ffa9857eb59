"""schemathesis against the live /openapi.json: whatever it sends, never a 500."""

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error

from tests.aws_fixtures import BUCKET
from tests.conftest import LiveServer


@pytest.fixture(scope="module")
def server_with_jobs(drop_folder):
    """The app with the jobs API on (a bucket on moto's server), so every route is exercised."""
    server = LiveServer(env={"OCR_BUCKET": BUCKET})
    yield server.url
    server.stop()


def test_no_generated_request_gets_a_server_error(server_with_jobs):
    live_server = server_with_jobs
    schema = schemathesis.openapi.from_url(live_server + "/openapi.json")
    operations = [result.ok() for result in schema.get_all_operations()]
    assert {op.path for op in operations} >= {"/api/v1/ocr", "/healthz", "/api/v1/jobs", "/api/v1/jobs/{job_id}"}
    statuses = []
    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck), database=None)
        def no_server_error(case):
            response = case.call_and_validate(base_url=live_server, checks=[not_a_server_error])
            statuses.append(response.status_code)

        no_server_error()
    assert len(statuses) >= 40 and not any(s >= 500 for s in statuses)
