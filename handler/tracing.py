"""X-Ray spans through Powertools' Tracer when the stack's `tracing` prop is on (it sets
POWERTOOLS_TRACE_DISABLED=false and adds the tracing layer, which brings the X-Ray SDK). Off,
nothing is imported and `span` does nothing.

Spans: the worker's `read`, `formats`, `write` and `announce`; the engine's own stages
(decode, detect, classify, recognize, words...) as subsegments of the read (or, in the API,
of the request), laid end to end from its start with the times the engine measured
(OcrResult.timings): the engine times its stages and knows nothing of tracing."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache


def enabled() -> bool:
    return os.environ.get("POWERTOOLS_TRACE_DISABLED", "true").strip().lower() in ("false", "0")


@cache
def tracer():
    """The process's Tracer (it patches boto3: S3, SQS and EventBridge calls are spans too), or None."""
    if not enabled():
        return None
    from aws_lambda_powertools import Tracer

    return Tracer()


@contextmanager
def span(name: str) -> Iterator[None]:
    active = tracer()
    if active is None:
        yield
        return
    with active.provider.in_subsegment(name):
        yield


def stages(timings: dict[str, float], started_at: float) -> None:
    """The engine's stage `timings` (seconds) as subsegments, end to end from `started_at` (epoch seconds)."""
    active = tracer()
    if active is None or not timings:
        return
    at = started_at
    for stage, seconds in timings.items():
        subsegment = active.provider.begin_subsegment(stage)
        if subsegment is None:  # not sampled
            return
        subsegment.start_time = at
        at += seconds
        active.provider.end_subsegment(end_time=at)


def epoch_of(perf_counter_value: float) -> float:
    """A time.perf_counter() reading as epoch seconds (X-Ray's clock)."""
    return time.time() - (time.perf_counter() - perf_counter_value)
