import io
import json
from pathlib import Path

import pytest
from PIL import Image

from ocr_engine import OcrEngine, Settings
from testkit.net import free_port

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
def scorer():
    """../shared/eval/score.py's score(pairs): the one scoring rule."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("eval_score", EVAL / "score.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.score


@pytest.fixture(scope="session")
def engine() -> OcrEngine:
    """The default pack, as `ocr read` and the service load it."""
    return OcrEngine(settings=Settings.from_env(threads=2))


class LiveServer:
    """The real app under uvicorn in its own process, on a free loopback port."""

    def __init__(self, env: dict[str, str] | None = None):
        import os
        import subprocess
        import sys
        import tempfile

        self.port = free_port()
        # a file, not a pipe: nobody reads a pipe while the server runs, and a full pipe blocks its logging
        self.log = tempfile.TemporaryFile()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process = subprocess.Popen(
            [sys.executable, "-m", "uvicorn", "handler.api:app", "--host", "127.0.0.1", "--port", str(self.port),
             "--workers", "1", "--log-level", "warning", "--no-server-header"],
            cwd=ROOT,
            env={**os.environ, "OCR_THREADS": "1", **(env or {})},
            stdout=subprocess.DEVNULL,
            stderr=self.log,
        )
        self._wait_ready()

    def _wait_ready(self, timeout: float = 60.0) -> None:
        import time

        import httpx

        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"the server exited: {self.logs()[-2000:]}")
            try:
                if httpx.get(self.url + "/healthz", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                time.sleep(0.2)
        raise RuntimeError("the server did not start in time")

    def logs(self) -> str:
        self.log.seek(0)
        return self.log.read().decode("utf-8", "replace")

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except Exception:
            self.process.kill()


from tests.aws_fixtures import drop_folder, moto_endpoint, put_keys, store, worker  # noqa: E402,F401  (fixtures)


@pytest.fixture(scope="session")
def live_server():
    server = LiveServer()
    yield server.url
    server.stop()


@pytest.fixture(scope="session")
def live_server_process():
    """Like live_server, for tests that need the process (its pid for RSS)."""
    server = LiveServer()
    yield server
    server.stop()
