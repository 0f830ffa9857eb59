"""The worker under faults, on moto's server: S3 throttling, a download cut short, the Lambda
deadline, and a message that fails every time. Lambda's SQS event source is played by hand
(receive a batch, invoke, delete what did not fail, let the failures come back), and the
faults come through botocore's event hooks on the worker's own client: our code is not
patched. Each test ends with nothing lost (every input has exactly one result `.json` or
`.error.json`, or its message waits in the dead-letter queue) and nothing doubled (the
bucket is versioned: each output has exactly one version)."""

import collections
import io
from collections.abc import Callable
from urllib.parse import unquote, urlsplit

import pytest
import urllib3
from botocore.awsrequest import AWSResponse
from botocore.response import StreamingBody
from PIL import Image

from handler.invoke import LambdaContext
from tests.aws_fixtures import DropFolderHarness
from tests.conftest import SAMPLES, encode

BUCKET = "ocr-faults-test"
MAX_RECEIVE_COUNT = 3  # the stack's default (infrastructure/stack.py)
LINE = (SAMPLES / "line.png").read_bytes()


@pytest.fixture(scope="module")
def folder(moto_endpoint, worker) -> DropFolderHarness:
    folder = DropFolderHarness.create(moto_endpoint, BUCKET, "ocr-faults-test", max_receive_count=MAX_RECEIVE_COUNT)
    folder.s3.put_bucket_versioning(Bucket=BUCKET, VersioningConfiguration={"Status": "Enabled"})
    return folder


class S3Faults:
    """Faults on the worker's S3 client through botocore's event hooks, removed afterwards."""

    def __init__(self, client):
        self.client = client
        self.hooks: list[tuple[str, Callable]] = []
        self.hits = collections.Counter()  # (fault, key) -> times it struck

    def register(self, event: str, hook: Callable) -> None:
        self.client.meta.events.register(event, hook)
        self.hooks.append((event, hook))

    def remove_all(self) -> None:
        for event, hook in self.hooks:
            self.client.meta.events.unregister(event, hook)
        self.hooks.clear()

    def error(self, operation: str, key: str, status: int, code: str, times: int | None = None) -> None:
        """Answer `times` requests (None: every one) of `operation` on `key` with an S3 error
        in place of moto: the request is never sent."""
        body = f"<?xml version='1.0'?><Error><Code>{code}</Code><Message>injected</Message></Error>".encode()
        headers = {"Content-Type": "application/xml", "Content-Length": str(len(body))}

        def answer(request, **_):
            if _key_of(request.url) != key or (times is not None and self.hits[code, key] >= times):
                return None
            self.hits[code, key] += 1
            return AWSResponse(request.url, status, headers, _Raw(body))

        self.register(f"before-send.s3.{operation}", answer)

    def throttle(self, operation: str, key: str, times: int | None = None) -> None:
        """503 SlowDown, as S3 answers a prefix that gets more requests than it takes."""
        self.error(operation, key, 503, "SlowDown", times)

    def cut_download(self, key: str, fault: str, times: int = 1) -> None:
        """The first `times` downloads of `key` deliver half the body, then fail as a stalled
        connection does (fault "read timeout") or end early as a closed one does ("closed")."""

        def cut(http_response, parsed, **_):
            if _key_of(http_response.url) != key or self.hits[fault, key] >= times:
                return
            self.hits[fault, key] += 1
            whole = parsed["Body"].read()
            parsed["Body"] = StreamingBody(_CutShort(whole, len(whole) // 2, fault, http_response.url), len(whole))

        self.register("after-call.s3.GetObject", cut)


def _key_of(url: str) -> str:
    return unquote(urlsplit(url).path).split("/", 2)[-1]  # path-style: /bucket/key


class _Raw:
    """What AWSResponse reads a body from."""

    def __init__(self, body: bytes):
        self.body = body

    def stream(self, **_):
        yield self.body


class _CutShort(io.RawIOBase):
    """A response body that stops after `keep` bytes: urllib3's read timeout, or the end of
    the stream before its Content-Length (a closed connection)."""

    def __init__(self, data: bytes, keep: int, fault: str, url: str):
        self.data, self.keep, self.fault, self.url, self.position = data, keep, fault, url, 0

    def read(self, amt: int | None = None) -> bytes:
        if self.position >= self.keep:
            if self.fault == "read timeout":
                raise urllib3.exceptions.ReadTimeoutError(None, self.url, "Read timed out.")
            return b""
        end = self.keep if amt is None else min(self.keep, self.position + amt)
        chunk, self.position = self.data[self.position:end], end
        return chunk


@pytest.fixture
def faults(store):
    injected = S3Faults(store.s3_client())
    yield injected
    injected.remove_all()


def event_source(folder: DropFolderHarness, worker, context: Callable[[], LambdaContext] = LambdaContext,
                 rounds: int = 10) -> list[dict]:
    """Lambda's SQS event source by hand, until the queue is empty (or `rounds` batches):
    receive a batch, invoke the worker, delete the messages it did not report as failed; a
    failed message becomes visible again at once (its visibility timeout, cut short). The
    worker's answers, in order."""
    answers = []
    for _ in range(rounds):
        messages = folder.receive()
        if not messages:
            break
        answers.append(folder.deliver(worker, messages, context()))
    return answers


def drop(folder: DropFolderHarness, files: dict[str, bytes]) -> None:
    folder.drain()
    for key, data in files.items():
        folder.s3.put_object(Bucket=BUCKET, Key=key, Body=data)


def versions(folder: DropFolderHarness, prefix: str) -> dict[str, int]:
    """How many times each output under `prefix` was written (deletions are not versions)."""
    listed = folder.s3.list_object_versions(Bucket=BUCKET, Prefix=prefix).get("Versions", [])
    return dict(collections.Counter(version["Key"] for version in listed))


def test_throttled_reads_and_writes_are_retried_and_each_output_is_written_once(folder, worker, faults):
    drop(folder, {"incoming/throttle/a.png": LINE, "incoming/throttle/b.png": LINE,
                  "incoming/throttle/notes.png": b"not an image"})
    faults.throttle("HeadObject", "incoming/throttle/b.png", times=2)
    faults.throttle("GetObject", "incoming/throttle/a.png", times=2)
    faults.throttle("PutObject", "results/throttle/a.png.json", times=2)
    faults.throttle("PutObject", "results/throttle/notes.png.error.json", times=2)
    answers = event_source(folder, worker)
    assert answers == [{"batchItemFailures": []}]  # the SDK's retries absorbed every 503
    assert sum(faults.hits.values()) == 8
    assert versions(folder, "results/throttle/") == {
        "results/throttle/a.png.json": 1, "results/throttle/a.png.txt": 1,
        "results/throttle/b.png.json": 1, "results/throttle/b.png.txt": 1,
        "results/throttle/notes.png.error.json": 1,
    }
    assert "OCR" in folder.json("results/throttle/a.png.json")["text"]


def test_throttling_that_outlasts_the_retries_returns_the_message_and_its_retry_writes_once(folder, worker, store,
                                                                                             faults):
    drop(folder, {"incoming/slow/a.png": LINE, "incoming/slow/b.png": LINE})
    faults.throttle("PutObject", "results/slow/b.png.json")  # every attempt, for the first delivery
    first = event_source(folder, worker, rounds=1)
    assert len(first[0]["batchItemFailures"]) == 1
    attempts = store.s3_client().meta.config.retries["total_max_attempts"]
    assert faults.hits["SlowDown", "results/slow/b.png.json"] == attempts
    assert "results/slow/b.png.json" not in folder.keys("results/slow/")
    faults.remove_all()  # S3 takes requests again
    assert event_source(folder, worker) == [{"batchItemFailures": []}]
    assert versions(folder, "results/slow/") == {
        "results/slow/a.png.json": 1, "results/slow/a.png.txt": 1,
        "results/slow/b.png.json": 1, "results/slow/b.png.txt": 1,
    }


@pytest.mark.parametrize("fault", ["read timeout", "closed"])
def test_a_download_cut_short_returns_the_message_and_its_retry_reads_it_once(folder, worker, faults, fault):
    prefix = f"cut-{fault.replace(' ', '-')}"
    receipt = (SAMPLES / "receipt.png").read_bytes()
    drop(folder, {f"incoming/{prefix}/receipt.png": receipt, f"incoming/{prefix}/line.png": LINE})
    faults.cut_download(f"incoming/{prefix}/receipt.png", fault)
    answers = event_source(folder, worker)
    assert [len(answer["batchItemFailures"]) for answer in answers] == [1, 0]  # returned once, then read
    assert faults.hits[fault, f"incoming/{prefix}/receipt.png"] == 1
    assert versions(folder, f"results/{prefix}/") == {
        f"results/{prefix}/receipt.png.json": 1, f"results/{prefix}/receipt.png.txt": 1,
        f"results/{prefix}/line.png.json": 1, f"results/{prefix}/line.png.txt": 1,
    }
    assert "Corner Shop Receipt" in folder.json(f"results/{prefix}/receipt.png.json")["text"]  # not a half-read file


def test_near_the_deadline_the_message_returns_and_its_retry_reads_every_page_once(folder, worker):
    receipt = Image.open(SAMPLES / "receipt.png").convert("RGB")
    pdf = encode(receipt, "PDF", save_all=True, append_images=[receipt, receipt], resolution=100)
    drop(folder, {"incoming/late/three.pdf": pdf})
    # 5 s left, less than the worker's margin (deadline_margin_ms, 20 s): it stops at its first check
    first = event_source(folder, worker, context=lambda: LambdaContext(timeout_s=5), rounds=1)
    assert len(first[0]["batchItemFailures"]) == 1
    assert versions(folder, "results/late/") == {}  # no partial result, and no error: a retry can finish
    assert event_source(folder, worker) == [{"batchItemFailures": []}]
    assert versions(folder, "results/late/") == {"results/late/three.pdf.json": 1, "results/late/three.pdf.txt": 1}
    result = folder.json("results/late/three.pdf.json")
    assert [page["number"] for page in result["pages"]] == [1, 2, 3]
    assert all("Corner Shop" in page["text"] for page in result["pages"])


def test_on_its_last_delivery_a_read_the_deadline_stops_is_a_timeout_error_not_a_dead_letter(folder, worker):
    receipt = Image.open(SAMPLES / "receipt.png").convert("RGB")
    pdf = encode(receipt, "PDF", save_all=True, append_images=[receipt, receipt], resolution=100)
    drop(folder, {"incoming/always-late/three.pdf": pdf})
    answers = event_source(folder, worker, context=lambda: LambdaContext(timeout_s=5))
    assert [len(answer["batchItemFailures"]) for answer in answers] == [1] * (MAX_RECEIVE_COUNT - 1) + [0]
    assert folder.receive(wait_s=0, queue_url=folder.dead_letter_url) == []
    assert versions(folder, "results/always-late/") == {"results/always-late/three.pdf.error.json": 1}
    error = folder.json("results/always-late/three.pdf.error.json")["error"]
    assert error["code"] == "timeout" and "page 1" in error["message"]


def test_a_message_that_fails_every_time_ends_in_the_dead_letter_queue_and_is_read_once_redriven(
        folder, worker, faults):
    drop(folder, {"incoming/poison/a.png": LINE, "incoming/poison/locked.png": LINE, "incoming/poison/b.png": LINE})
    # a permanent fault the SDK does not retry: the worker may not read this object (a bucket
    # policy, a KMS key it lacks) until an operator fixes it
    faults.error("GetObject", "incoming/poison/locked.png", 403, "AccessDenied")
    answers = event_source(folder, worker)
    assert [len(answer["batchItemFailures"]) for answer in answers] == [1] * MAX_RECEIVE_COUNT
    assert faults.hits["AccessDenied", "incoming/poison/locked.png"] == MAX_RECEIVE_COUNT
    assert folder.receive(wait_s=0) == []
    parked = folder.receive(wait_s=0, queue_url=folder.dead_letter_url)
    assert len(parked) == 1 and "incoming%2Fpoison%2Flocked.png" in parked[0]["Body"]  # S3 encodes the key
    assert parked[0]["Attributes"]["ApproximateReceiveCount"] == str(MAX_RECEIVE_COUNT + 1)
    assert versions(folder, "results/poison/") == {
        "results/poison/a.png.json": 1, "results/poison/a.png.txt": 1,
        "results/poison/b.png.json": 1, "results/poison/b.png.txt": 1,
    }

    faults.remove_all()  # fixed; the operator moves the message back (a DLQ redrive)
    folder.sqs.send_message(QueueUrl=folder.queue_url, MessageBody=parked[0]["Body"])
    folder.sqs.delete_message(QueueUrl=folder.dead_letter_url, ReceiptHandle=parked[0]["ReceiptHandle"])
    assert event_source(folder, worker) == [{"batchItemFailures": []}]
    assert versions(folder, "results/poison/") == {
        "results/poison/a.png.json": 1, "results/poison/a.png.txt": 1,
        "results/poison/b.png.json": 1, "results/poison/b.png.txt": 1,
        "results/poison/locked.png.json": 1, "results/poison/locked.png.txt": 1,
    }
