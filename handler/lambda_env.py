"""The environment the deployed functions run with: one definition that the CDK stack
(infrastructure/) sets and the local invoke (handler/invoke.py) reproduces, so the two
cannot drift; the defaults come from the service's settings (options.py). No AWS CDK here,
no AWS SDK, and no engine: the stack imports this without loading ONNX Runtime or OpenCV."""

from __future__ import annotations

from dataclasses import dataclass

from .options import JOBS as JOBS  # the stack's too: the jobs API may touch only these folders
from .options import PARTS, default

SERVICE = "ocr-service"
METRICS_NAMESPACE = "OcrService"  # the EMF metrics' (handler/metrics.py) and the dashboard's
MODEL_PACK_MOUNT = "/opt/model-pack"  # where the model layer's `model-pack/` lands
INPUT_PREFIX = default("input_prefix")
OUTPUT_PREFIX = default("output_prefix")
PARTS_PREFIX = OUTPUT_PREFIX + PARTS  # a fanned-out document's manifest and parts (drop_folder.py)
LAMBDA_MAX_TIMEOUT_S = 900  # Lambda's limit
# Lambda gives a function CPU in proportion to its memory: one vCPU at 1769 MB, six at 10240 MB
MB_PER_VCPU = 1769


@dataclass(frozen=True)
class FunctionDefaults:
    handler: str
    memory_mb: int
    timeout_s: int


API = FunctionDefaults("handler.api.handler", memory_mb=2048, timeout_s=29)  # API Gateway waits 29 s at most
# a 200-page PDF at ~1.5 s a page
WORKER = FunctionDefaults("handler.s3.handler", memory_mb=3008, timeout_s=LAMBDA_MAX_TIMEOUT_S)
FUNCTIONS = {"api": API, "worker": WORKER}


def threads_for(memory_mb: int) -> int:
    """ONNX Runtime threads for the vCPUs Lambda gives this much memory (more threads than
    vCPUs only adds contention)."""
    return max(1, min(6, round(memory_mb / MB_PER_VCPU)))


def function_environment(role: str, bucket: str, memory_mb: int | None = None, queue_url: str | None = None,
                         max_receive_count: int | None = None, event_bus: str | None = None,
                         tracing: bool = False) -> dict[str, str]:
    """The environment variables of the `api` or `worker` function; the worker sends a long
    document's page ranges to `queue_url` (its own queue), whose messages go to the
    dead-letter queue after `max_receive_count` deliveries, and announces each finished
    document on `event_bus`; `tracing`: Powertools' Tracer records X-Ray spans."""
    memory_mb = memory_mb or FUNCTIONS[role].memory_mb
    env = {
        "POWERTOOLS_SERVICE_NAME": f"{SERVICE}-{role}",
        "POWERTOOLS_METRICS_NAMESPACE": METRICS_NAMESPACE,
        "POWERTOOLS_TRACE_DISABLED": "false" if tracing else "true",
        "LOG_LEVEL": "INFO",
        "OCR_MODEL_PACK": MODEL_PACK_MOUNT,
        "ORT_DISABLE_TELEMETRY": "1",  # ocr_engine sets it too; here it holds before any import
        "OCR_THREADS": str(threads_for(memory_mb)),
        "OCR_BUCKET": bucket,
        "OCR_INPUT_PREFIX": INPUT_PREFIX,
        "OCR_OUTPUT_PREFIX": OUTPUT_PREFIX,
    }
    if role == "api":
        # one request at a time reaches a Lambda container; API Gateway checks the keys, so
        # OCR_API_KEY stays unset
        env["OCR_INFERENCE_WORKERS"] = "1"
        env["OCR_JOB_UPLOAD_EXPIRY"] = str(default("job_upload_expiry"))
    elif role == "worker":
        env["OCR_OUTPUT_FORMATS"] = default("output_formats")
        env["OCR_EVENT_BUS"] = event_bus or default("event_bus")
        if queue_url:
            env["OCR_QUEUE_URL"] = queue_url
        if max_receive_count:
            env["OCR_MAX_RECEIVE_COUNT"] = str(max_receive_count)
    else:
        raise ValueError(f"unknown function {role!r}: api or worker")
    return env
