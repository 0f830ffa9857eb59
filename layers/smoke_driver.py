"""Runs inside the emulated arm64 CPython (layers/smoke.py starts it): one Lambda function's
handler, imported from /var/task with the layers on /opt/python as Lambda lays them out,
fed one event; prints one JSON line: the text read, the cold start (import plus engine
creation) and the invocation's time. Standard library and the layers only.

    python3.13 smoke_driver.py api EVENT.json
    python3.13 smoke_driver.py worker EVENT.json   # then reads the result .json back from S3"""

from __future__ import annotations

import contextlib
import json
import os
import platform
import sys
import time
import uuid

started = time.perf_counter()
role, event_path = sys.argv[1], sys.argv[2]
# Lambda's order: the code, the layers, the SDK (LAYER_PATH: the same folders elsewhere, for a native run)
sys.path[:0] = json.loads(os.environ.get("LAYER_PATH") or '["/var/task", "/opt/python", "/var/runtime"]')


class Context:
    function_name = "ApiFunction" if role == "api" else "WorkerFunction"
    function_version = "$LATEST"
    memory_limit_in_mb = int(os.environ.get("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "2048"))
    aws_request_id = str(uuid.uuid4())
    invoked_function_arn = f"arn:aws:lambda:local:000000000000:function:{function_name}"
    log_group_name, log_stream_name = f"/aws/lambda/{function_name}", "smoke"

    def get_remaining_time_in_millis(self) -> int:
        return 900_000


with contextlib.redirect_stdout(sys.stderr):  # the EMF metrics and logs: stdout is this driver's answer
    module = __import__("handler.api" if role == "api" else "handler.s3", fromlist=["handler"])
    cold_start = time.perf_counter() - started
    event = json.loads(open(event_path, encoding="utf-8").read())
    invoked = time.perf_counter()
    response = module.handler(event, Context())
    invocation = time.perf_counter() - invoked

if role == "api":
    body = json.loads(response["body"])
    assert response["statusCode"] == 200, body
    text = body["text"]
else:
    import boto3

    assert response == {"processed": 1}, response
    record = event["Records"][0]["s3"]
    key = os.environ["OCR_OUTPUT_PREFIX"] + record["object"]["key"][len(os.environ["OCR_INPUT_PREFIX"]):] + ".json"
    result = json.loads(boto3.client("s3").get_object(Bucket=record["bucket"]["name"], Key=key)["Body"].read())
    text = result["text"]

print(json.dumps({"role": role, "machine": platform.machine(), "python": platform.python_version(), "text": text,
                  "cold_start_s": round(cold_start, 2), "invocation_s": round(invocation, 2)}, ensure_ascii=False))
