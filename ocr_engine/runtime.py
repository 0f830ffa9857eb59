"""ONNX Runtime sessions: one per model per process, created once and reused."""

from __future__ import annotations

from pathlib import Path

import onnxruntime as ort


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
