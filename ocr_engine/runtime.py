"""ONNX Runtime sessions: one per model per process, created once and reused."""

from __future__ import annotations

import ctypes
import ctypes.util
from pathlib import Path

import onnxruntime as ort


def _load_glibc():
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        return libc if hasattr(libc, "malloc_trim") and hasattr(libc, "mallopt") else None
    except OSError:  # not glibc: nothing to tune
        return None


_GLIBC = _load_glibc()
_MALLOC_TRIM = _GLIBC.malloc_trim if _GLIBC else None
_M_ARENA_MAX = -8


def limit_malloc_arenas(arenas: int = 1) -> None:
    """Fewer malloc arenas: glibc gives threads their own arenas, each keeping freed pages
    of its own, so a server's RSS wandered by ~20 MiB with whichever threads served the
    last requests (measured through uvicorn: 160-185 MiB with the default, 166-188 with two
    arenas, 160-162 with one). Call before threads start."""
    if _GLIBC is not None:
        _GLIBC.mallopt(_M_ARENA_MAX, arenas)


def release_free_memory() -> None:
    """Hand the heap pages freed by the last read back to the OS. glibc keeps them, so
    without this RSS sits at the high-water mark of the largest page read so far
    (bench/results/2026-11-24-engine-rss.md: 290-420 MiB between page reads, 133 MiB
    flat with it, ~5% slower; line reads stay flat without it and are 20% slower with it)."""
    if _MALLOC_TRIM is not None:
        _MALLOC_TRIM(0)


def create_session(path: Path, threads: int) -> ort.InferenceSession:
    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    # Every call has a new input shape (page size, line widths): an arena would keep each
    # call's high-water mark and memory patterns are per shape, so RSS would only grow.
    options.enable_cpu_mem_arena = False
    options.enable_mem_pattern = False
    options.log_severity_level = 3
    return ort.InferenceSession(str(path), sess_options=options, providers=["CPUExecutionProvider"])
