"""ONNX Runtime sessions: one per model per process, created once and reused."""

from __future__ import annotations

import ctypes
import ctypes.util
from pathlib import Path

import numpy as np
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
_M_MMAP_THRESHOLD = -3
BIG_BUFFER_BYTES = 256 * 1024


def limit_malloc_arenas(arenas: int = 1) -> None:
    """Fewer malloc arenas: glibc gives threads their own arenas, each keeping freed pages
    of its own, so a server's RSS wandered by ~20 MiB with whichever threads served the
    last requests (measured through uvicorn: 160-185 MiB with the default, 166-188 with two
    arenas, 160-162 with one). Call before threads start."""
    if _GLIBC is not None:
        _GLIBC.mallopt(_M_ARENA_MAX, arenas)


def map_big_buffers(threshold: int = BIG_BUFFER_BYTES) -> None:
    """Give every allocation of `threshold` bytes or more its own mapping, so that freeing it
    hands its pages back at once. glibc's default threshold rises to the size of the largest
    mapped buffer freed so far (up to 32 MiB): after the first page, ONNX Runtime's arena
    regions, the page images and the probability maps all landed in the heap, where what
    was freed stayed resident behind what was still in use, and the next page's detector
    stacked its strip on top. The whole process's peak over the dev pages went from 255 to
    235 MiB, at about 5 % more time a page: the next page faults the pages in again
    (bench/results/2026-12-06-memory-mmap.md). Fixing the threshold also stops glibc's
    adaptive trim threshold from growing with it."""
    if _GLIBC is not None:
        _GLIBC.mallopt(_M_MMAP_THRESHOLD, threshold)


def release_free_memory() -> None:
    """Hand the heap pages freed by the last read back to the OS. glibc keeps them, so
    without this RSS sits at the high-water mark of the largest page read so far
    (bench/results/2026-11-24-engine-rss.md: 290-420 MiB between page reads, 133 MiB
    flat with it, ~5% slower; line reads stay flat without it and are 20% slower with it)."""
    if _MALLOC_TRIM is not None:
        _MALLOC_TRIM(0)


class Session:
    """An ONNX Runtime session (`run`, `get_inputs`) whose runs allocate from its arena and
    hand the arena's free memory back at the end of every run. Without an arena, each of
    the detector's intermediate tensors (3-7 MB a strip) was malloc'd and freed in turn,
    and glibc's heap kept what that churn had touched: a receipt's detection raised the
    peak by 105-121 MiB; with the arena, which reuses its chunks within a run, and its
    shrinkage after each, 73-79 MiB, the same boxes, no slower (bench/results/2026-12-06-memory.md).
    Shapes change from call to call (page size, line widths), so an arena that kept its
    memory would keep every call's high-water mark: it shrinks. A read of several lines
    keeps the recogniser's (and the classifier's) arena warm from batch to batch and shrinks
    it once they are read: shrunk after every run, the region holding a run's output was
    still in use when the run shrank the arena, and 16-31 MiB stayed from one page into the
    next page's detector peak (whole process over the dev pages 230 -> 208 MiB, pages in the
    same time; bench/results/2026-12-06-memory-arena.md). Whether a call keeps the arena
    warm is its own argument (`run(shrink=)`), not the session's state: the engine's
    sessions are shared by threads."""

    def __init__(self, inner: ort.InferenceSession):
        self.inner = inner
        self.run_options = ort.RunOptions()
        self.run_options.add_run_config_entry("memory.enable_memory_arena_shrinkage", "cpu:0")
        self.warm_options = ort.RunOptions()

    def run(self, outputs, feeds: dict, shrink: bool = True) -> list:
        """`shrink=False` keeps the arena as the run leaves it, for the next run to reuse;
        `release_arena` shrinks it later."""
        return self.inner.run(outputs, feeds, self.run_options if shrink else self.warm_options)

    def release_arena(self) -> None:
        """Hand back what the arena holds now: one run on the smallest input, with shrinkage."""
        model_input = self.inner.get_inputs()[0]
        shape = [d if isinstance(d, int) else (1 if i == 0 else 32) for i, d in enumerate(model_input.shape)]
        self.inner.run(None, {model_input.name: np.zeros(shape, np.float32)}, self.run_options)

    def get_inputs(self):
        return self.inner.get_inputs()


def create_session(path: Path, threads: int) -> Session:
    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    # memory patterns are planned per input shape, and every call has a new one
    options.enable_cpu_mem_arena = True
    options.enable_mem_pattern = False
    options.log_severity_level = 3
    session = Session(ort.InferenceSession(str(path), sess_options=options, providers=["CPUExecutionProvider"]))
    # The arena's first region is sized by the first request it serves and is never shrunk
    # (ONNX Runtime's BFC arena, kNextPowerOfTwo): a first page left the classifier 12 MiB
    # and the recogniser 8 MiB that stayed for good. A first run on the smallest input keeps
    # that region small.
    session.release_arena()
    return session
