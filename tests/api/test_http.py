"""The HTTP contract through real uvicorn and httpx."""

import json
import os
import socket
import tempfile
import threading
import uuid
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
from PIL import Image

from ocr_engine.packs import DEFAULT_PACK
from tests.conftest import EVAL, ROOT, SAMPLES, LiveServer, encode

OCR = "/api/v1/ocr"


@pytest.fixture(scope="module")
def client(live_server):
    with httpx.Client(base_url=live_server, timeout=120) as c:
        yield c


def assert_error(response: httpx.Response, status: int, code: str) -> dict:
    assert response.status_code == status, response.text
    body = response.json()
    assert body["success"] is False and body["error"]["code"] == code and body["error"]["message"]
    assert body["request_id"] == response.headers["x-request-id"]
    assert "Traceback" not in response.text
    return body


def test_multipart_upload_returns_text_lines_and_metadata(client):
    with open(SAMPLES / "receipt.png", "rb") as image:
        response = client.post(OCR, files={"image": ("receipt.png", image, "image/png")})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["success"] is True
    assert "Corner Shop Receipt" in body["text"]
    assert len(body["lines"]) == 6
    assert {"text", "confidence", "box"} <= set(body["lines"][0])
    (page,) = body["pages"]  # an image is one page; its lines are the top-level lines
    assert (page["number"], page["width"], page["height"]) == (1, *Image.open(SAMPLES / "receipt.png").size)
    assert page["lines"] == body["lines"] and page["text"] == body["text"]
    assert body["elapsed_time"] > 0 and body["model"]["name"] == DEFAULT_PACK
    assert body["request_id"] == response.headers["x-request-id"]


def test_the_field_may_be_called_file_and_mode_may_be_a_form_field(client):
    response = client.post(OCR, files={"file": ("x.png", (SAMPLES / "line.png").read_bytes())}, data={"mode": "line"})
    assert response.status_code == 200
    assert len(response.json()["lines"]) == 1


def test_raw_bodies_are_sniffed_not_trusted(client):
    data = (SAMPLES / "line.png").read_bytes()
    for declared in ("image/png", "image/jpeg", "application/octet-stream"):
        response = client.post(OCR, content=data, headers={"content-type": declared}, params={"mode": "line"})
        assert response.status_code == 200, (declared, response.text)
        assert "OCR" in response.json()["text"]


def test_a_pdf_returns_pages(client):
    receipt = Image.open(SAMPLES / "receipt.png").convert("RGB")
    pdf = encode(receipt, "PDF", save_all=True, append_images=[receipt], resolution=100)
    response = client.post(OCR, files={"image": ("doc.pdf", pdf, "application/pdf")})
    assert response.status_code == 200
    body = response.json()
    assert [p["number"] for p in body["pages"]] == [1, 2]
    assert body["lines"] == [line for p in body["pages"] for line in p["lines"]]
    assert all(p["lines"] for p in body["pages"])


def test_an_eval_page_is_read(client):
    response = client.post(OCR, content=(EVAL / "pages" / "sroie_079.jpg").read_bytes(),
                           headers={"content-type": "image/jpeg"})
    assert response.status_code == 200
    assert "TAX INVOICE" in response.json()["text"]


def test_healthz_names_the_pack(client):
    body = client.get("/healthz").json()
    assert body == {"status": "ok", "ready": True, "model": {"name": DEFAULT_PACK, "version": body["model"]["version"]}}


def test_openapi_and_docs_are_served(client):
    schema = client.get("/openapi.json").json()
    assert "/api/v1/ocr" in schema["paths"]
    assert "multipart/form-data" in schema["paths"]["/api/v1/ocr"]["post"]["requestBody"]["content"]
    assert client.get("/docs").status_code == 200


BOUNDARY = "testboundary123"


def multipart(*parts: tuple[str, str | None, bytes], close: bool = True) -> bytes:
    body = b""
    for name, filename, data in parts:
        disposition = f'form-data; name="{name}"' + (f'; filename="{filename}"' if filename is not None else "")
        body += f"--{BOUNDARY}\r\nContent-Disposition: {disposition}\r\n\r\n".encode() + data + b"\r\n"
    return body + (f"--{BOUNDARY}--\r\n".encode() if close else b"")


def post_multipart(client, body: bytes, **kwargs) -> httpx.Response:
    return client.post(OCR, content=body, headers={"content-type": f"multipart/form-data; boundary={BOUNDARY}"},
                       **kwargs)


def test_no_body_is_400(client):
    assert_error(client.post(OCR, content=b"", headers={"content-type": "image/png"}), 400, "empty_input")
    assert_error(post_multipart(client, b""), 400, "empty_input")


def test_missing_file_field_is_400(client):
    assert_error(post_multipart(client, multipart(("mode", None, b"page"))), 400, "missing_file")


def test_two_files_are_400(client):
    png = (SAMPLES / "line.png").read_bytes()
    assert_error(post_multipart(client, multipart(("image", "a.png", png), ("image", "b.png", png))),
                 400, "multiple_files")


def test_an_unknown_field_is_422(client):
    png = (SAMPLES / "line.png").read_bytes()
    assert_error(post_multipart(client, multipart(("picture", "a.png", png))), 422, "invalid_parameter")


def test_a_bad_mode_is_422_as_query_or_form(client):
    png = (SAMPLES / "line.png").read_bytes()
    assert_error(client.post(OCR, content=png, headers={"content-type": "image/png"}, params={"mode": "sideways"}),
                 422, "invalid_parameter")
    assert_error(post_multipart(client, multipart(("image", "a.png", png), ("mode", None, b"sideways"))),
                 422, "invalid_parameter")


def test_a_body_that_says_multipart_but_is_not_is_400(client):
    assert_error(post_multipart(client, b"just some bytes, no boundary in sight"), 400, "invalid_multipart")
    assert_error(client.post(OCR, content=b"x", headers={"content-type": "multipart/form-data"}),
                 400, "invalid_multipart")


def test_a_truncated_multipart_body_is_400(client):
    png = (SAMPLES / "line.png").read_bytes()
    body = multipart(("image", "a.png", png))
    assert_error(post_multipart(client, body[: len(body) // 2]), 400, "invalid_multipart")


def test_a_corrupt_image_is_400_and_a_text_file_is_415(client):
    jpeg = (EVAL / "pages" / "sroie_000.jpg").read_bytes()
    assert_error(client.post(OCR, files={"image": ("a.jpg", jpeg[:5000], "image/jpeg")}), 400, "invalid_image")
    assert_error(client.post(OCR, files={"image": ("a.png", b"hello world" * 10, "image/png")}),
                 415, "unsupported_media_type")
    assert_error(client.post(OCR, content=b"{}", headers={"content-type": "application/json"}),
                 415, "unsupported_media_type")


def test_over_the_sync_limit_is_413_with_a_hint_to_use_jobs(client):
    big = b"\x89PNG\r\n\x1a\n" + b"\0" * (4 * 1024 * 1024 + 10)
    body = assert_error(client.post(OCR, content=big, headers={"content-type": "image/png"}), 413, "payload_too_large")
    assert "/api/v1/jobs" in body["error"]["message"]
    assert_error(client.post(OCR, files={"image": ("big.png", big)}), 413, "payload_too_large")


def test_a_decompression_bomb_is_413(client):
    from testkit.hostile.blocks import png_claiming

    assert_error(client.post(OCR, content=png_claiming(50_000, 50_000), headers={"content-type": "image/png"}),
                 413, "image_too_large")


@pytest.mark.parametrize("name", ["../../etc/passwd", "con", "a\x00b.png", "😀.png", "..\\..\\boot.ini"])
def test_hostile_file_names_are_only_names_and_nothing_is_written(client, name):
    temp_before = set(os.listdir(tempfile.gettempdir()))
    repo_before = set(os.listdir(ROOT))
    png = (SAMPLES / "line.png").read_bytes()
    response = post_multipart(client, multipart(("image", name, png)))
    assert response.status_code == 200, response.text
    assert "OCR" in response.json()["text"]
    assert set(os.listdir(tempfile.gettempdir())) == temp_before
    assert set(os.listdir(ROOT)) == repo_before


def test_healthz_answers_while_a_page_is_being_read(client, live_server):
    receipt = Image.open(EVAL / "pages" / "sroie_352.jpg").convert("RGB")
    tall = Image.new("RGB", (receipt.width, 3 * receipt.height))  # a page that takes seconds to read
    for k in range(3):
        tall.paste(receipt, (0, k * receipt.height))
    uploaded = threading.Event()

    def body():
        yield encode(tall, "JPEG", quality=90)
        uploaded.set()

    with ThreadPoolExecutor(max_workers=1) as pool:
        reading = pool.submit(lambda: httpx.post(live_server + OCR, content=body(),
                                                 headers={"content-type": "image/jpeg"}, params={"mode": "page"},
                                                 timeout=120))
        assert uploaded.wait(30)
        assert client.get("/healthz").status_code == 200
        assert not reading.done()  # the page was still being read when health answered
        assert reading.result().status_code == 200


def test_a_content_length_shorter_than_the_body_is_a_client_error(live_server):
    port = int(live_server.rsplit(":", 1)[1])
    png = (SAMPLES / "line.png").read_bytes()
    body = multipart(("image", "a.png", png))
    head = (
        f"POST {OCR} HTTP/1.1\r\nHost: x\r\nContent-Type: multipart/form-data; boundary={BOUNDARY}\r\n"
        f"Content-Length: {len(body) // 2}\r\nConnection: close\r\n\r\n"
    ).encode()
    with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
        sock.sendall(head + body)
        reply = b""
        while chunk := sock.recv(65536):
            reply += chunk
    status_line = reply.split(b"\r\n", 1)[0]
    assert status_line.startswith(b"HTTP/1.1 400"), reply[:300]


def test_a_content_length_longer_than_the_body_does_not_hurt_the_server(live_server):
    port = int(live_server.rsplit(":", 1)[1])
    head = f"POST {OCR} HTTP/1.1\r\nHost: x\r\nContent-Type: image/png\r\nContent-Length: 100000\r\n\r\n".encode()
    with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
        sock.sendall(head + b"\x89PNG\r\n\x1a\n")
        sock.shutdown(socket.SHUT_WR)  # the client gives up before sending the rest
        sock.recv(65536)
    assert httpx.get(live_server + "/healthz").status_code == 200


def test_unknown_paths_and_methods_get_the_json_error_shape(client):
    assert_error(client.get("/api/v1/nope"), 404, "not_found")
    assert_error(client.get(OCR), 405, "method_not_allowed")


def test_the_request_id_is_generated_per_request(client):
    ids = {client.get("/healthz").headers["x-request-id"] for _ in range(3)}
    assert len(ids) == 3 and all(uuid.UUID(i) for i in ids)


def test_an_api_key_when_configured_is_required():
    server = LiveServer(env={"OCR_API_KEY": "s3cret-key"})
    try:
        png = (SAMPLES / "line.png").read_bytes()
        with httpx.Client(base_url=server.url, timeout=60) as c:
            assert_error(c.post(OCR, content=png, headers={"content-type": "image/png"}), 401, "unauthorized")
            assert_error(c.post(OCR, content=png, headers={"content-type": "image/png", "x-api-key": "wrong"}),
                         401, "unauthorized")
            ok = c.post(OCR, content=png, headers={"content-type": "image/png", "x-api-key": "s3cret-key"})
            assert ok.status_code == 200
            assert c.get("/healthz").status_code == 200  # health and the page stay open
    finally:
        server.stop()
    records = [json.loads(line) for line in server.logs().splitlines() if line.startswith("{")]
    reads = [r for r in records if r.get("path") == OCR and r.get("status") == 200]
    assert reads and {"request_id", "latency_ms", "bytes", "pixels", "lines", "mode"} <= set(reads[0])
    assert all(r["request_id"] for r in records)


def access_log_once_read(server: LiveServer) -> list[dict]:
    """The server's log records once it has logged a request to OCR (it notices a client
    that left on its next read of the socket; health checks keep it busy meanwhile)."""
    with httpx.Client(base_url=server.url, timeout=60) as c:
        for _ in range(200):
            if OCR in server.logs():
                break
            c.get("/healthz")
    return [json.loads(line) for line in server.logs().splitlines() if line.startswith("{")]


def test_a_client_that_leaves_mid_upload_is_logged_as_info_not_an_error():
    server = LiveServer()
    try:
        port = int(server.url.rsplit(":", 1)[1])
        with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
            sock.sendall(f"POST {OCR} HTTP/1.1\r\nHost: x\r\nContent-Type: image/png\r\n"
                         "Content-Length: 100000\r\n\r\n".encode()
                         + b"\x89PNG" + b"\0" * 1000)
        records = access_log_once_read(server)
    finally:
        server.stop()
    assert any(r.get("status") == 400 and r.get("path") == OCR for r in records), server.logs()[-2000:]
    assert not any(r.get("level") in ("ERROR", "CRITICAL") for r in records)
    assert "Traceback" not in server.logs()


def test_a_synchronous_read_has_a_time_budget_and_a_page_cap():
    server = LiveServer(env={"OCR_SYNC_BUDGET_S": "0.05", "OCR_SYNC_MAX_PAGES": "2"})
    try:
        receipt = Image.open(SAMPLES / "receipt.png").convert("RGB")
        with httpx.Client(base_url=server.url, timeout=60) as c:
            slow = c.post(OCR, content=(EVAL / "pages" / "sroie_079.jpg").read_bytes(),
                          headers={"content-type": "image/jpeg"})
            assert_error(slow, 504, "timeout")
            pdf = encode(receipt, "PDF", save_all=True, append_images=[receipt, receipt], resolution=100)
            long = c.post(OCR, content=pdf, headers={"content-type": "application/pdf"})
            assert_error(long, 413, "too_many_pages")
            assert "/api/v1/jobs" in long.json()["error"]["message"]
    finally:
        server.stop()


def test_a_client_that_leaves_during_the_read_cancels_it():
    receipt = Image.open(EVAL / "pages" / "sroie_352.jpg").convert("RGB")
    tall = Image.new("RGB", (receipt.width, 4 * receipt.height))  # seconds of work
    for k in range(4):
        tall.paste(receipt, (0, k * receipt.height))
    body = encode(tall, "JPEG", quality=90)
    server = LiveServer()
    try:
        port = int(server.url.rsplit(":", 1)[1])
        with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
            sock.sendall(f"POST {OCR}?mode=page HTTP/1.1\r\nHost: x\r\nContent-Type: image/jpeg\r\n"
                         f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n".encode() + body)
        records = access_log_once_read(server)
    finally:
        server.stop()
    (read,) = [r for r in records if r.get("path") == OCR]
    assert read["status"] == 400, read  # cancelled: nobody was there to answer
