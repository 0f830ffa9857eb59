"""Digests a run record compares: of files, of a checkpoint's tensors and of a shard's
contents (what they hold, not how the container was written)."""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import torch

from ocr_engine.packs import sha256_file

__all__ = ["sha256_file", "shard_digest", "tensors_digest", "weights_norm"]


def tensors_digest(tensors: dict) -> str:
    """sha256 over the tensors by name: name, dtype, shape and bytes (not the pickle, which
    holds more than the weights)."""
    digest = hashlib.sha256()
    for name in sorted(tensors):
        value = tensors[name].detach().cpu().contiguous()
        digest.update(f"{name} {value.dtype} {tuple(value.shape)}\n".encode())
        digest.update(value.reshape(-1).view(torch.uint8).numpy().tobytes())
    return digest.hexdigest()


def weights_norm(tensors: dict, minus: dict | None = None) -> float:
    """The L2 norm of the floating-point tensors (of their change since `minus`), in float64."""
    total = torch.zeros((), dtype=torch.float64)
    for name, value in tensors.items():
        if value.is_floating_point():
            value = value.double() - (minus[name].double() if minus is not None else 0)
            total += (value**2).sum()
    return float(total.sqrt())


def shard_digest(folder: Path, index: int) -> str:
    """sha256 over a shard's lines and arrays (the .npz's zip holds write times)."""
    from .data import shard_paths

    jsonl, npz = shard_paths(folder, index)
    digest = hashlib.sha256(jsonl.read_bytes())
    with np.load(npz, allow_pickle=False) as arrays:
        for name in sorted(arrays.files):
            array = np.ascontiguousarray(arrays[name])
            digest.update(f"{name} {array.dtype} {array.shape}\n".encode())
            digest.update(array.tobytes())
    return digest.hexdigest()
