"""Every hostile file of the corpus (testkit/hostile/corpus.py) through `ocr read --json` and
through POST /api/v1/ocr on real uvicorn: each gets its expected code and status, never a
5xx, within a bound generous for CI; the server is the same process afterwards, answers
/healthz, and holds no more memory than a few reads leave."""

import json
import re
import time

import httpx
import psutil
import pytest

from testkit.hostile.corpus import CORPUS, READS, write
from tests.engine.test_cli import run_ocr

SECONDS_PER_FILE = 30  # the PDF bombs take ~2-5 s here (the renderer's memory limit); a hang would not
RSS_GROWTH_BOUND = 150 * 2**20  # a bomb decoded in the server would be gigabytes
BY_NAME = {hostile.name: hostile for hostile in CORPUS}
HEAP_ADDRESS = re.compile(r"0x[0-9a-f]{8,}")  # as in "<_io.BytesIO object at 0x7f...>"


def test_the_corpus_has_at_least_40_files_and_both_outcomes():
    assert len(BY_NAME) == len(CORPUS) >= 40
    expected = {hostile.expect for hostile in CORPUS}
    assert {READS, "document_too_complex", "image_too_large", "invalid_document", "invalid_image"} <= expected


@pytest.fixture(scope="module")
def corpus_dir(tmp_path_factory):
    folder = tmp_path_factory.mktemp("hostile")
    write(folder)
    return folder


@pytest.fixture(scope="module")
def cli_entries(corpus_dir) -> dict[str, dict]:
    """One `ocr read --json` over the whole corpus (the models load once): its entry per file."""
    started = time.monotonic()
    done = run_ocr("read", "--json", "--quiet", *(str(corpus_dir / name) for name in BY_NAME))
    assert time.monotonic() - started < SECONDS_PER_FILE * len(BY_NAME)
    assert "Traceback" not in done.stderr
    results = json.loads(done.stdout)["results"]  # stdout is one JSON document, whatever the files held
    return {result["file"].rsplit("/", 1)[-1]: result for result in results}


@pytest.mark.parametrize("name", list(BY_NAME))
def test_the_cli_gives_each_hostile_file_its_expected_outcome(cli_entries, name):
    entry = cli_entries[name]
    outcome = entry["error"]["code"] if "error" in entry else READS
    assert outcome == BY_NAME[name].expect, entry.get("error")
    if "error" in entry:
        assert entry["error"]["message"] and not HEAP_ADDRESS.search(entry["error"]["message"])
    else:
        assert isinstance(entry["text"], str) and isinstance(entry["lines"], list)


@pytest.fixture(scope="module")
def api_answers(live_server_process, corpus_dir) -> dict:
    """Every corpus file posted once to the live server, in turn: the answers, their time,
    and the server's RSS before and after."""
    server = psutil.Process(live_server_process.process.pid)
    answers = {}
    with httpx.Client(base_url=live_server_process.url, timeout=SECONDS_PER_FILE * 2) as client:
        client.post("/api/v1/ocr", files={"image": ("warm.png", (corpus_dir / "png-16-bit-gray.png").read_bytes())})
        rss_before = server.memory_info().rss
        for name in BY_NAME:
            started = time.monotonic()
            response = client.post("/api/v1/ocr", files={"image": (name, (corpus_dir / name).read_bytes())})
            answers[name] = (response, time.monotonic() - started)
        health = client.get("/healthz")
    return {"answers": answers, "rss_before": rss_before, "rss_after": server.memory_info().rss,
            "alive": server.is_running() and server.status() != psutil.STATUS_ZOMBIE, "health": health.status_code}


@pytest.mark.parametrize("name", list(BY_NAME))
def test_the_api_gives_each_hostile_file_its_status_and_code_in_time(api_answers, name):
    response, elapsed = api_answers["answers"][name]
    hostile = BY_NAME[name]
    assert response.status_code < 500, response.text
    assert response.status_code == hostile.status, response.text
    body = response.json()
    assert body["request_id"] == response.headers["x-request-id"]
    if hostile.expect == READS:
        assert body["success"] is True and len(body["pages"]) >= 1
    else:
        assert body["success"] is False and body["error"]["code"] == hostile.expect
        assert "Traceback" not in response.text and not HEAP_ADDRESS.search(body["error"]["message"])
    assert elapsed < SECONDS_PER_FILE


def test_the_server_survives_the_corpus_with_bounded_memory(api_answers):
    assert api_answers["alive"] and api_answers["health"] == 200
    grown = api_answers["rss_after"] - api_answers["rss_before"]
    assert grown < RSS_GROWTH_BOUND, f"the server's RSS grew by {grown / 2**20:.0f} MiB over the corpus"
