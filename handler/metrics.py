"""CloudWatch metrics of both functions as Powertools' `Metrics`: the embedded metric format
(EMF), one JSON object per invocation on stdout that CloudWatch Logs turns into metrics; no
API call. Namespace `OcrService` (POWERTOOLS_METRICS_NAMESPACE), dimension `service` (the
function's POWERTOOLS_SERVICE_NAME). The handlers flush once per invocation
(`metrics.log_metrics`), which also counts cold starts (`ColdStart`); `InitDuration` is the
process's age when its first invocation starts (interpreter, imports and the engine)."""

from __future__ import annotations

import os
import time

from aws_lambda_powertools import Metrics
from aws_lambda_powertools.metrics import MetricUnit, single_metric

from ocr_engine import OcrResult

from .lambda_env import METRICS_NAMESPACE as NAMESPACE

ERROR_CODE = "ErrorCode"  # the dimension of `Errors`: one metric per error code
metrics = Metrics(namespace=os.environ.get("POWERTOOLS_METRICS_NAMESPACE") or NAMESPACE)
_IMPORTED = time.monotonic()
_init_recorded = False
#: the engine's stage timings (OcrResult.timings) -> metric names, milliseconds
STAGES = {"decode": "DecodeTime", "detect": "DetectTime", "classify": "ClassifyTime", "recognize": "RecognizeTime",
          "postprocess": "PostprocessTime", "words": "WordsTime"}


def process_age_s() -> float:
    """Seconds since this process started (Linux's /proc), else since this module's import."""
    try:
        with open("/proc/self/stat") as stat, open("/proc/uptime") as uptime:
            started_ticks = int(stat.read().rsplit(")", 1)[1].split()[19])
            return float(uptime.read().split()[0]) - started_ticks / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return time.monotonic() - _IMPORTED


def record_init() -> None:
    """`InitDuration` (ms) on the process's first invocation only."""
    global _init_recorded
    if not _init_recorded:
        _init_recorded = True
        metrics.add_metric("InitDuration", MetricUnit.Milliseconds, round(process_age_s() * 1000, 1))


def record_read(result: OcrResult, bytes_read: int) -> None:
    """What one read did: pages, lines, the bytes it read, and the time of each engine stage."""
    metrics.add_metric("Pages", MetricUnit.Count, len(result.pages))
    metrics.add_metric("Lines", MetricUnit.Count, len(result.lines))
    metrics.add_metric("BytesRead", MetricUnit.Bytes, bytes_read)
    for stage, seconds in result.timings.items():
        metrics.add_metric(STAGES.get(stage, stage.capitalize() + "Time"), MetricUnit.Milliseconds,
                           round(seconds * 1000, 2))


def record_request(fields: dict) -> None:
    """An API request from its access-log fields: `Requests`, `Latency`, and what an OCR
    read did (`Pages`, `Lines`, `BytesRead`, the engine's stage times) and its error's code."""
    record_count("Requests")
    record_duration("Latency", fields["latency_ms"] / 1000)
    for name, unit in (("pages", MetricUnit.Count), ("lines", MetricUnit.Count), ("bytes", MetricUnit.Bytes)):
        if name in fields:
            metrics.add_metric({"bytes": "BytesRead"}.get(name, name.capitalize()), unit, fields[name])
    for stage, ms in (fields.get("stages_ms") or {}).items():
        metrics.add_metric(STAGES.get(stage, stage.capitalize() + "Time"), MetricUnit.Milliseconds, ms)
    if fields.get("error_code"):
        record_error(fields["error_code"])


def record_duration(name: str, seconds: float) -> None:
    metrics.add_metric(name, MetricUnit.Milliseconds, round(seconds * 1000, 2))


def record_count(name: str, count: float = 1) -> None:
    metrics.add_metric(name, MetricUnit.Count, count)


def record_error(code: str) -> None:
    """`Errors` with the error's code as a dimension: its own EMF object, printed now."""
    with single_metric(name="Errors", unit=MetricUnit.Count, value=1, namespace=metrics.namespace,
                       default_dimensions=metrics.default_dimensions) as metric:
        if metrics.service:
            metric.add_dimension(name="service", value=metrics.service)
        metric.add_dimension(name=ERROR_CODE, value=code)
