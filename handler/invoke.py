"""Run a function's handler in this process, as Lambda would: no Docker.

    python -m handler.invoke api events/api-rest-post.json
    python -m handler.invoke worker events/sqs-s3-put.json      # AWS_ENDPOINT_URL + OCR_BUCKET pick the bucket

The environment is the one the stack sets (handler/lambda_env.py), with OCR_MODEL_PACK
pointed at a local copy of what the model layer mounts at /opt/model-pack (the layer build's
`build/layers/model/model-pack` if built, else the default pack in `build/packs/`). The worker's bucket
is OCR_BUCKET: the bucket named in the event (a placeholder) is replaced by it. The handler's
response is printed as JSON on stdout; logs and the EMF metrics (stdout on Lambda) go to stderr."""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
import time
import uuid
from pathlib import Path

from ocr_engine.packs import DEFAULT_PACK

from .lambda_env import FUNCTIONS, WORKER, function_environment

ROOT = Path(__file__).resolve().parent.parent
LOCAL_PACKS = (ROOT / "build" / "layers" / "model" / "model-pack", ROOT / "build" / "packs" / DEFAULT_PACK)
EVENT_BUCKET = "my-ocr-bucket"  # the placeholder in events/


class LambdaContext:
    """The context Lambda passes: a request id and a clock that runs down to the timeout
    (local invoke and the tests use this one)."""

    def __init__(self, function_name: str = "WorkerFunction", memory_mb: int = WORKER.memory_mb,
                 timeout_s: float = WORKER.timeout_s):
        self.function_name = function_name
        self.function_version = "$LATEST"
        self.memory_limit_in_mb = memory_mb
        self.aws_request_id = str(uuid.uuid4())
        self.invoked_function_arn = f"arn:aws:lambda:local:000000000000:function:{function_name}"
        self.log_group_name = f"/aws/lambda/{function_name}"
        self.log_stream_name = "local"
        self._deadline = time.monotonic() + timeout_s

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._deadline - time.monotonic()) * 1000))


def local_pack() -> Path:
    for pack in LOCAL_PACKS:
        if (pack / "manifest.json").is_file():
            return pack
    raise SystemExit("no local model pack: run scripts/setup (or `.venv/bin/python -m layers.build`)")


def lambda_environment(role: str, pack: Path | None = None, overrides: dict[str, str] | None = None) -> dict[str, str]:
    """The stack's environment for `role`, made to run here."""
    spec = FUNCTIONS[role]
    bucket = os.environ.get("OCR_BUCKET") or EVENT_BUCKET
    env = function_environment(role, bucket, spec.memory_mb)
    env["OCR_MODEL_PACK"] = str(pack or local_pack())  # what /opt/model-pack holds on Lambda
    env.update({
        "AWS_LAMBDA_FUNCTION_NAME": f"{role.capitalize()}Function",
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(spec.memory_mb),
        "LAMBDA_TASK_ROOT": str(ROOT),
    })
    env.update(overrides or {})
    return env


def retarget_bucket(event: dict, bucket: str) -> dict:
    """The event with the placeholder bucket of S3 notifications (plain or in SQS bodies)
    replaced by `bucket`."""
    def notification(body: dict) -> dict:
        for record in body.get("Records") or []:
            if record.get("eventSource") == "aws:s3":
                record["s3"]["bucket"]["name"] = bucket
                record["s3"]["bucket"]["arn"] = f"arn:aws:s3:::{bucket}"
        return body

    for record in event.get("Records") or []:
        if record.get("eventSource") == "aws:sqs":
            record["body"] = json.dumps(notification(json.loads(record["body"])))
    return notification(event)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m handler.invoke", description=__doc__.split("\n\n")[0])
    parser.add_argument("function", choices=sorted(FUNCTIONS),
                        help="api (handler.api.handler) or worker (handler.s3.handler)")
    parser.add_argument("event", type=Path, help="a JSON event, e.g. events/api-rest-post.json")
    parser.add_argument("--pack", type=Path, help="the model pack folder standing for /opt/model-pack")
    parser.add_argument("--env", action="append", default=[], metavar="K=V",
                        help="an extra environment variable (repeatable)")
    args = parser.parse_args(argv)

    overrides = dict(item.split("=", 1) for item in args.env)
    env = lambda_environment(args.function, args.pack, overrides)
    os.environ.update(env)  # before the handler's import: settings are read once, at import
    event = json.loads(args.event.read_text(encoding="utf-8"))
    if args.function == "worker":
        event = retarget_bucket(event, env["OCR_BUCKET"])
    spec = FUNCTIONS[args.function]
    module_name, handler_name = spec.handler.rsplit(".", 1)
    handler = getattr(__import__(module_name, fromlist=[handler_name]), handler_name)
    context = LambdaContext(env["AWS_LAMBDA_FUNCTION_NAME"], spec.memory_mb, spec.timeout_s)
    with contextlib.redirect_stdout(sys.stderr):  # the EMF metrics Lambda finds on stdout: the answer is ours
        response = handler(event, context)
    json.dump(response, sys.stdout, ensure_ascii=False, indent=1)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
