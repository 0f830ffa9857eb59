"""The server's RSS does not grow with requests."""

import httpx
import psutil

from tests.conftest import SAMPLES


def test_rss_after_500_requests_is_within_5_percent_of_after_50(live_server_process):
    server = psutil.Process(live_server_process.process.pid)
    bodies = [(SAMPLES / "receipt.png").read_bytes(), (SAMPLES / "line.png").read_bytes(), b"not an image"]
    rss = {}
    with httpx.Client(base_url=live_server_process.url, timeout=60) as client:
        for count in range(1, 501):
            body = bodies[count % len(bodies)]
            response = client.post("/api/v1/ocr", content=body, headers={"content-type": "application/octet-stream"})
            assert response.status_code in (200, 415)
            if count in (50, 500):
                rss[count] = server.memory_info().rss
    assert rss[500] <= 1.05 * rss[50], f"RSS {rss[50] / 2**20:.0f} MiB after 50, {rss[500] / 2**20:.0f} MiB after 500"
