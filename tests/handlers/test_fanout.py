"""Long documents fanned out over the drop folder's own queue, on moto's server: the worker
sends page ranges to the queue, whichever worker takes a range reads it, and the one that
sees every part assembles the outputs once. Lambda's SQS event source is played by hand:
receive a batch, invoke, delete what succeeded, let failures come back."""

import io
import threading

import pikepdf
import pypdfium2
import pytest
from PIL import Image, ImageDraw, ImageFont

from ocr_engine.formats import FORMATS
from tests.aws_fixtures import BUCKET, with_layout

FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"


def numbered_pdf(pages: int) -> bytes:
    font = ImageFont.truetype(FONT, 36)
    images = []
    for number in range(1, pages + 1):
        page = Image.new("L", (560, 160), 255)
        ImageDraw.Draw(page).text((30, 60), f"Page number {number}", font=font, fill=0)
        images.append(page)
    buffer = io.BytesIO()
    images[0].save(buffer, format="PDF", save_all=True, append_images=images[1:], resolution=100)
    return buffer.getvalue()


@pytest.fixture
def fanned(worker, drop_folder):
    """The worker with fan-out on: documents over 20 pages go out in ranges of 10 (a test may
    change the layout further with with_layout)."""
    drop_folder.drain()
    return with_layout(worker, queue_url=drop_folder.queue_url, fanout_pages=20, range_pages=10)


@pytest.fixture
def s3_calls(store):
    """(operation, key, HTTP status) of every S3 call the worker's client completes."""
    calls: list[tuple[str, str, int]] = []

    def remember_key(params, context, **_):
        context["object_key"] = params.get("Key", "")

    def record(http_response, model, context, **_):
        calls.append((model.name, context.get("object_key", ""), http_response.status_code))

    events = store.s3_client().meta.events
    events.register("before-parameter-build.s3", remember_key)
    events.register("after-call.s3", record)
    yield calls
    events.unregister("after-call.s3", record)
    events.unregister("before-parameter-build.s3", remember_key)


def run_queue(drop_folder, worker, rounds: int = 60) -> list[dict]:
    """Deliver the queue's messages to the worker until it is empty; failed messages come
    back at once (their visibility reset). Returns the responses."""
    responses = []
    for _ in range(rounds):
        messages = drop_folder.sqs.receive_message(QueueUrl=drop_folder.queue_url, MaxNumberOfMessages=4,
                                                   WaitTimeSeconds=1, VisibilityTimeout=600).get("Messages", [])
        if not messages:
            return responses
        responses.append(deliver(drop_folder, worker, messages))
    raise AssertionError("the queue never emptied")


def deliver(drop_folder, worker, messages: list[dict]) -> dict:
    return drop_folder.deliver(worker, messages)


def job_status(worker, job_id: str):
    """What the jobs API answers for `job_id` (handler/routes/jobs.py), read from the same bucket."""
    from handler.routes.jobs import _read_job

    return _read_job(worker.reader.store.s3_client(), worker.reader.folder, BUCKET, job_id)


def upload(drop_folder, key: str, data: bytes) -> None:
    drop_folder.s3.put_object(Bucket=BUCKET, Key=key, Body=data)


def the_notification(drop_folder) -> dict:
    """The S3 notification of the one file uploaded (the worker fans the document out when
    it gets it)."""
    (message,) = drop_folder.sqs.receive_message(QueueUrl=drop_folder.queue_url, WaitTimeSeconds=2,
                                                 VisibilityTimeout=600)["Messages"]
    return message


def next_ranges(drop_folder, count: int) -> list[dict]:
    return drop_folder.sqs.receive_message(QueueUrl=drop_folder.queue_url, MaxNumberOfMessages=count,
                                           WaitTimeSeconds=1, VisibilityTimeout=600)["Messages"]


def test_a_120_page_pdf_is_read_in_ranges_and_assembled_once_in_order(fanned, drop_folder, s3_calls):
    worker = with_layout(fanned, range_pages=25, renderings=(FORMATS["text"], FORMATS["pdf"]))
    upload(drop_folder, "incoming/long/scan.pdf", numbered_pdf(120))
    responses = run_queue(drop_folder, worker)
    assert all(r == {"batchItemFailures": []} for r in responses)

    result = drop_folder.json("results/long/scan.pdf.json")
    assert [p["number"] for p in result["pages"]] == list(range(1, 121))
    assert [p["text"] for p in result["pages"]] == [f"Page number {n}" for n in range(1, 121)]
    text = drop_folder.s3.get_object(Bucket=BUCKET, Key="results/long/scan.pdf.txt")["Body"].read().decode()
    assert text.split("\f") == [f"Page number {n}" for n in range(1, 121)]
    searchable = pypdfium2.PdfDocument(
        drop_folder.s3.get_object(Bucket=BUCKET, Key="results/long/scan.pdf.pdf")["Body"].read())
    assert len(searchable) == 120
    assert [searchable[n - 1].get_textpage().get_text_range().strip() for n in (1, 57, 120)] == \
        ["Page number 1", "Page number 57", "Page number 120"]

    final_writes = [c for c in s3_calls if c[:2] == ("PutObject", "results/long/scan.pdf.json")]
    assert [status for *_, status in final_writes] == [200]
    part_writes = [key for op, key, status in s3_calls if op == "PutObject" and "/pages-" in key]
    assert len(part_writes) == len(set(part_writes)) == 5
    assert not drop_folder.keys("results/.parts/long/")  # nothing left behind


def test_a_range_delivered_twice_is_read_once(fanned, drop_folder, s3_calls):
    worker = fanned
    upload(drop_folder, "incoming/twice/doc.pdf", numbered_pdf(30))
    deliver(drop_folder, worker, [the_notification(drop_folder)])  # the fan-out: 3 ranges queued
    first_range = next_ranges(drop_folder, 1)
    deliver(drop_folder, worker, first_range)
    drop_folder.sqs.send_message(QueueUrl=drop_folder.queue_url, MessageBody=first_range[0]["Body"])  # again
    run_queue(drop_folder, worker)
    drop_folder.sqs.send_message(QueueUrl=drop_folder.queue_url, MessageBody=first_range[0]["Body"])  # after the end
    run_queue(drop_folder, worker)

    assert [p["number"] for p in drop_folder.json("results/twice/doc.pdf.json")["pages"]] == list(range(1, 31))
    part_writes = [key for op, key, _ in s3_calls if op == "PutObject" and "/pages-" in key]
    assert sorted(part_writes) == sorted(set(part_writes)) and len(part_writes) == 3
    json_writes = [k for op, k, _ in s3_calls if op == "PutObject" and k.endswith("doc.pdf.json")]
    assert json_writes == ["results/twice/doc.pdf.json"]


def test_a_range_whose_worker_dies_comes_back_and_nothing_is_lost(fanned, drop_folder, store):
    worker, died = fanned, []

    def die_once(params, **_):
        if "/pages-00011-00020" in params["Key"] and not died:
            died.append(params["Key"])
            raise RuntimeError("the worker died before writing its part")

    events = store.s3_client().meta.events
    events.register("before-parameter-build.s3.PutObject", die_once)
    try:
        upload(drop_folder, "incoming/dies/doc.pdf", numbered_pdf(30))
        responses = run_queue(drop_folder, worker)
    finally:
        events.unregister("before-parameter-build.s3.PutObject", die_once)
    assert died and sum(len(r["batchItemFailures"]) for r in responses) == 1
    assert [p["number"] for p in drop_folder.json("results/dies/doc.pdf.json")["pages"]] == list(range(1, 31))


def test_two_ranges_finishing_together_race_and_one_assembly_lands(fanned, drop_folder, store, s3_calls):
    worker = fanned
    upload(drop_folder, "incoming/race/doc.pdf", numbered_pdf(30))
    deliver(drop_folder, worker, [the_notification(drop_folder)])
    messages = next_ranges(drop_folder, 3)
    assert len(messages) == 3
    deliver(drop_folder, worker, messages[:1])
    both_listed = threading.Barrier(2, timeout=60)

    def list_together(params, **_):  # both have written their part before either looks for the others
        if "/.parts/" in params.get("Prefix", ""):
            both_listed.wait()

    events = store.s3_client().meta.events
    events.register("before-parameter-build.s3.ListObjectsV2", list_together)
    try:
        threads = [threading.Thread(target=deliver, args=(drop_folder, worker, [m])) for m in messages[1:]]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(120)
    finally:
        events.unregister("before-parameter-build.s3.ListObjectsV2", list_together)

    final = [status for op, key, status in s3_calls if op == "PutObject" and key == "results/race/doc.pdf.json"]
    assert final.count(200) == 1 and set(final) <= {200, 412}  # the loser's write, if it tried, was refused
    assert [p["number"] for p in drop_folder.json("results/race/doc.pdf.json")["pages"]] == list(range(1, 31))
    assert not drop_folder.keys("results/.parts/race/")


def test_progress_rises_through_the_jobs_api(fanned, drop_folder):
    worker = fanned
    job_id = "6f1f7c1e-2d1e-4a5b-9c7d-0123456789ab"
    upload(drop_folder, f"incoming/jobs/{job_id}/scan.pdf", numbered_pdf(30))
    assert job_status(worker, job_id).model_dump(exclude_none=True) == {"job_id": job_id, "status": "pending"}
    deliver(drop_folder, worker, [the_notification(drop_folder)])
    seen = [job_status(worker, job_id)]
    for _ in range(3):
        deliver(drop_folder, worker, next_ranges(drop_folder, 1))
        seen.append(job_status(worker, job_id))
    assert [(s.status, s.pages_total, s.pages_done) for s in seen] == [
        ("pending", 30, 0), ("pending", 30, 10), ("pending", 30, 20), ("done", 30, 30)]
    assert seen[-1].result["pages"][29]["text"] == "Page number 30"


def test_a_failed_range_is_reported_with_its_pages(fanned, drop_folder):
    worker = fanned
    document = pikepdf.open(io.BytesIO(numbered_pdf(30)))
    document.pages[14].mediabox = [0, 0, 2, 2]  # page 15: 2 x 2 points, too small to hold text
    broken = io.BytesIO()
    document.save(broken)
    job_id = "0e2c7a54-7c1b-4c55-8a43-fedcba987654"
    upload(drop_folder, f"incoming/jobs/{job_id}/scan.pdf", broken.getvalue())
    deliver(drop_folder, worker, [the_notification(drop_folder)])
    for _ in range(3):
        deliver(drop_folder, worker, next_ranges(drop_folder, 1))
        status = job_status(worker, job_id)
        if status.status == "pending" and status.failed_pages:  # seen while the other ranges are read
            assert [(f.first, f.last, f.error.code) for f in status.failed_pages] == [(11, 20, "image_too_small")]
    assert status.status == "failed" and status.error.code == "image_too_small"
    assert status.error.message.startswith("pages 11-20: ") and "page 15" in status.error.message


def test_a_3001_page_pdf_is_refused_with_a_clear_error(fanned, drop_folder):
    worker = fanned
    document = pikepdf.new()
    for _ in range(3001):
        document.add_blank_page(page_size=(200, 200))
    data = io.BytesIO()
    document.save(data)
    upload(drop_folder, "incoming/huge/book.pdf", data.getvalue())
    assert run_queue(drop_folder, worker) == [{"batchItemFailures": []}]
    error = drop_folder.json("results/huge/book.pdf.error.json")["error"]
    assert error["code"] == "too_many_pages" and "3001" in error["message"] and "3000" in error["message"]
    assert not drop_folder.keys("results/.parts/huge/")
