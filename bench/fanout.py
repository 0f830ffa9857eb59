"""A long PDF through the drop folder: one worker reading it all, against the fanned-out path
with N workers taking ranges from the queue (each a process, as Lambda runs one invocation
per sandbox), on moto's server on loopback. Wall time from the upload to the result .json,
the workers' CPU seconds, and the cost per 1,000 pages at Lambda arm64 prices.

    .venv/bin/python bench/fanout.py --pages 200 --workers 1 2 [--out bench/results/....md]

Every worker has one ONNX Runtime thread (OCR_THREADS=1): on this 2-core machine N workers
can only overlap up to 2; the CPU seconds per page are what Lambda bills."""

from __future__ import annotations

import argparse
import io
import json
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

BUCKET = "ocr-fanout-bench"
REGION = "eu-west-1"
# Lambda arm64, us-east-1, first pricing tier (aws.amazon.com/lambda/pricing, 2026): per GB-second
# and per request; S3 PUT/GET and SQS requests per 1,000 / per million
GB_SECOND_USD = 0.0000133334
LAMBDA_REQUEST_USD = 0.20 / 1e6
S3_PUT_USD, S3_GET_USD, SQS_REQUEST_USD = 0.005 / 1000, 0.0004 / 1000, 0.40 / 1e6
WORKER_MEMORY_MB = 3008  # handler/lambda_env.py WORKER


def page_images(pages: int):
    from PIL import Image, ImageDraw, ImageFont

    font = ImageFont.truetype("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf", 26)
    for number in range(1, pages + 1):
        page = Image.new("L", (1240, 1754), 255)  # A4 at 150 dpi
        draw = ImageDraw.Draw(page)
        for line in range(12):
            draw.text((120, 150 + 110 * line), f"Page {number}, line {line + 1}: invoice 2026-{number:04d} total "
                      f"{number * 7 + line}.50", font=font, fill=0)
        yield page


def make_pdf(pages: int) -> bytes:
    images = list(page_images(pages))
    buffer = io.BytesIO()
    images[0].save(buffer, format="PDF", save_all=True, append_images=images[1:], resolution=150)
    return buffer.getvalue()


def worker_loop(stop_key: str) -> None:
    """One worker: take one message at a time (as an event source of batch size 1 does),
    invoke the handler, delete it unless it failed; until `stop_key` exists."""
    import boto3

    from handler import s3 as worker
    from handler.invoke import LambdaContext

    sqs = boto3.client("sqs", region_name=REGION)
    s3 = boto3.client("s3", region_name=REGION)
    queue = os.environ["BENCH_QUEUE_URL"]
    while True:
        if s3.list_objects_v2(Bucket=BUCKET, Prefix=stop_key).get("KeyCount"):
            return
        messages = sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=1, WaitTimeSeconds=1,
                                       VisibilityTimeout=600).get("Messages", [])
        for m in messages:
            event = {"Records": [{"messageId": m["MessageId"], "receiptHandle": m["ReceiptHandle"], "body": m["Body"],
                                  "attributes": {"ApproximateReceiveCount": "1"}, "messageAttributes": {},
                                  "md5OfBody": m["MD5OfBody"], "eventSource": "aws:sqs",
                                  "eventSourceARN": "arn:aws:sqs:local:000000000000:bench", "awsRegion": REGION}]}
            response = worker.handler(event, LambdaContext())
            if response["batchItemFailures"]:
                sqs.change_message_visibility(QueueUrl=queue, ReceiptHandle=m["ReceiptHandle"], VisibilityTimeout=0)
            else:
                sqs.delete_message(QueueUrl=queue, ReceiptHandle=m["ReceiptHandle"])


def run(endpoint: str, queue_url: str, pdf: bytes, workers: int, fan_out: bool, name: str) -> dict:
    import boto3

    s3 = boto3.client("s3", endpoint_url=endpoint, region_name=REGION)
    env = {**os.environ, "AWS_ENDPOINT_URL": endpoint, "AWS_ACCESS_KEY_ID": "bench", "AWS_SECRET_ACCESS_KEY": "bench",
           "AWS_DEFAULT_REGION": REGION, "OCR_BUCKET": BUCKET, "OCR_THREADS": "1", "BENCH_QUEUE_URL": queue_url,
           "OCR_FANOUT_PAGES": "20", "OCR_RANGE_PAGES": "10", "OCR_MAX_PAGES": "200", "POWERTOOLS_LOG_LEVEL": "WARNING",
           "LOG_LEVEL": "WARNING"}
    if fan_out:
        env["OCR_QUEUE_URL"] = queue_url
    result_key = f"results/{name}.pdf.json"
    processes = [subprocess.Popen([sys.executable, __file__, "--worker", result_key], env=env, cwd=ROOT,
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL) for _ in range(workers)]
    time.sleep(8)  # the workers load their models before the clock starts, as warm Lambdas have
    started = time.perf_counter()
    s3.put_object(Bucket=BUCKET, Key=f"incoming/{name}.pdf", Body=pdf)
    for process in processes:
        process.wait(timeout=3600)
    wall = time.perf_counter() - started
    result = json.loads(s3.get_object(Bucket=BUCKET, Key=result_key)["Body"].read())
    assert [p["number"] for p in result["pages"]] == list(range(1, len(result["pages"]) + 1))
    return {"wall_s": wall, "pages": len(result["pages"])}


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--pages", type=int, default=200)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--out", type=Path)
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        worker_loop(args.worker)
        return 0

    import resource

    import boto3
    from moto.server import ThreadedMotoServer

    from testkit.net import free_port

    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    endpoint = f"http://127.0.0.1:{port}"
    for key, value in {"AWS_ACCESS_KEY_ID": "bench", "AWS_SECRET_ACCESS_KEY": "bench"}.items():
        os.environ.setdefault(key, value)
    s3 = boto3.client("s3", endpoint_url=endpoint, region_name=REGION)
    sqs = boto3.client("sqs", endpoint_url=endpoint, region_name=REGION)
    s3.create_bucket(Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": REGION})
    queue_url = sqs.create_queue(QueueName="bench")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    s3.put_bucket_notification_configuration(Bucket=BUCKET, NotificationConfiguration={"QueueConfigurations": [{
        "QueueArn": arn, "Events": ["s3:ObjectCreated:*"],
        "Filter": {"Key": {"FilterRules": [{"Name": "prefix", "Value": "incoming/"}]}}}]})
    pdf = make_pdf(args.pages)

    # a worker's start (imports, models) is billed once per sandbox, not per page: measured
    # alone (a worker whose stop key exists at once) and taken off each run's CPU seconds
    s3.put_object(Bucket=BUCKET, Key="results/started.json", Body=b"{}")
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    subprocess.run([sys.executable, __file__, "--worker", "results/started.json"], cwd=ROOT, check=True,
                   env={**os.environ, "AWS_ENDPOINT_URL": endpoint, "AWS_DEFAULT_REGION": REGION, "OCR_THREADS": "1",
                        "BENCH_QUEUE_URL": queue_url}, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    start_cpu = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)

    rows = []
    for label, workers, fan_out in [("one worker, no fan-out", 1, False),
                                    *((f"fan-out, {n} worker(s)", n, True) for n in args.workers)]:
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        measured = run(endpoint, queue_url, pdf, workers, fan_out, f"doc-{len(rows)}")
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime) - workers * start_cpu
        rows.append({"run": label, "workers": workers, **measured, "worker_cpu_s": cpu})
        print(json.dumps(rows[-1]), flush=True)
    server.stop()

    single = rows[0]
    cpu_per_page = single["worker_cpu_s"] / single["pages"]
    gb = WORKER_MEMORY_MB / 1024
    ranges_per_1000 = 1000 / 10
    # per 1,000 pages fanned out: Lambda compute from the measured CPU seconds (1 thread busy
    # per invocation), one invocation per range + the fan-out, S3 and SQS requests
    compute = 1000 * cpu_per_page * gb * GB_SECOND_USD
    requests = (ranges_per_1000 + 1) * LAMBDA_REQUEST_USD
    s3_requests = ranges_per_1000 * (4 * S3_GET_USD + 3 * S3_PUT_USD)
    sqs_requests = ranges_per_1000 * 3 * SQS_REQUEST_USD
    lines = [f"# Fan-out: a {args.pages}-page PDF through the drop folder ({time.strftime('%Y-%m-%d')})", "",
             "Command:", "", f"    .venv/bin/python bench/fanout.py --pages {args.pages} --workers "
             + " ".join(map(str, args.workers)), "",
             f"moto server on loopback; each worker a process with 1 ONNX Runtime thread, models loaded before the "
             f"clock starts; {os.cpu_count()} cores on this machine. Pages: A4 at 150 dpi, 12 lines each.", "",
             f"Worker CPU seconds leave out each worker's start ({start_cpu:.1f} s: imports and models, once per "
             "Lambda sandbox).", "",
             "| run | workers | wall s | pages/s | worker CPU s |", "|---|---:|---:|---:|---:|"]
    for row in rows:
        lines.append(f"| {row['run']} | {row['workers']} | {row['wall_s']:.1f} | {row['pages'] / row['wall_s']:.2f} | "
                     f"{row['worker_cpu_s']:.1f} |")
    lines += ["", f"CPU per page (one worker): {cpu_per_page:.2f} s. Cost per 1,000 pages at Lambda arm64 prices "
              f"({WORKER_MEMORY_MB} MB, ${GB_SECOND_USD}/GB-s), "
              "if a Lambda vCPU reads a page as fast as one core here: "
              f"compute ${compute:.3f} + invocations ${requests:.5f} + S3 ${s3_requests:.4f} + SQS ${sqs_requests:.5f} "
              f"= **${compute + requests + s3_requests + sqs_requests:.3f}**."]
    text = "\n".join(lines) + "\n"
    print(text)
    if args.out:
        args.out.write_text(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
