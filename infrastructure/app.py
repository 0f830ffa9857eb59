"""The CDK app: `cdk synth` / `cdk deploy` run it (cdk.json), and so do the tests.

    .venv/bin/python -m infrastructure.app        # synth into $CDK_OUTDIR (default cdk.out)

Settings come from CDK context (`-c key=value`, or `context` in cdk.json); see CONTEXT."""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Callable
from pathlib import Path

from aws_cdk import App, Aspects
from cdk_nag import AwsSolutionsChecks

from .stack import OcrServiceProps, OcrServiceStack

STACK_NAME = "OcrService"
# context key -> (what it sets, how to read it)
CONTEXT: dict[str, tuple[str, Callable[[str], object]]] = {
    "apiMemoryMb": ("api.memory_mb", int),
    "apiReservedConcurrency": ("api.reserved_concurrency", int),
    "workerMemoryMb": ("worker.memory_mb", int),
    "workerTimeoutS": ("worker.timeout_s", int),
    "workerReservedConcurrency": ("worker.reserved_concurrency", int),
    "workerMaxConcurrency": ("worker_max_concurrency", int),
    "workerBatchSize": ("worker_batch_size", int),
    "inputExpiryDays": ("input_expiry_days", int),
    "resultExpiryDays": ("result_expiry_days", int),
    "partsExpiryDays": ("parts_expiry_days", int),
    "keyRatePerS": ("api_limits.key_rate_per_s", float),
    "keyBurst": ("api_limits.key_burst", int),
    "keyQuotaPerDay": ("api_limits.key_quota_per_day", int),
    "tracing": ("tracing", lambda v: str(v).lower() in ("1", "true", "yes")),
    "alarmTopicArn": ("alarm_topic_arn", str),
    "eventBusName": ("event_bus_name", str),
    "dashboardName": ("dashboard_name", str),
    "alarmDeadLetters": ("alarm_thresholds.dead_letters", int),
    "alarmFunctionErrors": ("alarm_thresholds.function_errors", int),
    "alarmThrottles": ("alarm_thresholds.throttles", int),
    "alarmQueueAgeS": ("alarm_thresholds.oldest_message_age_s", int),
    "alarmApiP95LatencyMs": ("alarm_thresholds.api_p95_latency_ms", int),
    "alarmApiServerErrors": ("alarm_thresholds.api_server_errors", int),
    "alarmFailedDocuments": ("alarm_thresholds.failed_documents", int),
}


def props_from_context(app: App) -> OcrServiceProps:
    props = OcrServiceProps()
    for key, (target, parse) in CONTEXT.items():
        value = app.node.try_get_context(key)
        if value is None or value == "":
            continue
        props = _replace(props, target.split("."), parse(value))
    return props


def _replace(obj, path: list[str], value):
    if len(path) == 1:
        return dataclasses.replace(obj, **{path[0]: value})
    return dataclasses.replace(obj, **{path[0]: _replace(getattr(obj, path[0]), path[1:], value)})


def make_app(props: OcrServiceProps | None = None, outdir: str | None = None, stack_name: str | None = None,
             nag: bool = True) -> tuple[App, OcrServiceStack]:
    """The app and its stack; `nag`: run cdk-nag's AwsSolutions checks at synth (errors fail it)."""
    app = App(
        outdir=outdir or os.environ.get("CDK_OUTDIR") or str(Path(__file__).resolve().parent.parent / "cdk.out"),
        # the aws:asset:* metadata that `sam local invoke -t cdk.out/<Stack>.template.json` reads
        context={"aws:cdk:enable-asset-metadata": True},
    )
    stack = OcrServiceStack(
        app, stack_name or app.node.try_get_context("stackName") or STACK_NAME,
        props=props or props_from_context(app),
        description="OCR service (Chinese + English): REST API, drop folder, model layer",
    )
    if nag:
        Aspects.of(app).add(AwsSolutionsChecks())
    return app, stack


def main() -> None:
    app, _ = make_app()
    app.synth()


if __name__ == "__main__":
    main()
