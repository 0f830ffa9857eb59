"""The server's RSS does not grow with requests."""

import httpx
import psutil

from tests.conftest import SAMPLES


def test_rss_after_500_requests_is_within_5_percent_of_after_50(live_server_process):
    server = psutil.Process(live_server_process.process.pid)
    bodies = [(SAMPLES / "receipt.png").read_bytes(), (SAMPLES / "line.png").read_bytes(), b"not an image"]
    # RSS dips whenever freed pages are handed back, so each figure is the highest of the
    # ten readings up to it, not one reading that may sit in a dip
    readings = {}
    with httpx.Client(base_url=live_server_process.url, timeout=60) as client:
        for count in range(1, 501):
            body = bodies[count % len(bodies)]
            response = client.post("/api/v1/ocr", content=body, headers={"content-type": "application/octet-stream"})
            assert response.status_code in (200, 415)
            readings[count] = server.memory_info().rss
    after_50 = max(readings[c] for c in range(41, 51))
    after_500 = max(readings[c] for c in range(491, 501))
    assert after_500 <= 1.05 * after_50, \
        f"RSS {after_50 / 2**20:.0f} MiB after 50, {after_500 / 2**20:.0f} MiB after 500"
