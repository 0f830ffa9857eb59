"""When a read must stop: a deadline, and a caller that gives up (its client went away).
The engine checks between pages and between a page's stages, so a read stops within one
stage of its budget running out."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field

from .errors import Cancelled, DeadlineExceeded


@dataclass(frozen=True)
class Budget:
    deadline: float | None = None  # a time.monotonic() value
    cancelled: threading.Event = field(default_factory=threading.Event)

    @classmethod
    def within(cls, seconds: float) -> "Budget":
        return cls(deadline=time.monotonic() + seconds)

    def check(self, progress: str) -> None:
        """Raise if the read must stop; `progress` says how far it got."""
        if self.cancelled.is_set():
            raise Cancelled(f"the read was cancelled {progress}")
        if self.deadline is not None and time.monotonic() > self.deadline:
            raise DeadlineExceeded(f"the time budget ran out {progress}")

