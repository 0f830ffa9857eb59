"""Sizes: what Lambda counts of a function and its layers (unzipped), and the check that
fails a build over its 250 MB limit."""

from __future__ import annotations

import tempfile
import zipfile
from pathlib import Path

# Lambda's limit for a function and all its layers, unzipped: 250 MiB as the quota counts it
LAMBDA_UNZIPPED_LIMIT = 262_144_000


def tree_size(path: Path) -> int:
    """Bytes of the regular files under `path` (what Lambda counts once a zip is unpacked)."""
    if path.is_file():
        return path.stat().st_size
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file() and not p.is_symlink())


def zipped_size(path: Path) -> int:
    """Bytes of `path` zipped with deflate (as CDK zips an asset folder)."""
    with tempfile.TemporaryFile() as handle:
        with zipfile.ZipFile(handle, "w", zipfile.ZIP_DEFLATED) as archive:
            for file in sorted(path.rglob("*")):
                if file.is_file():
                    archive.write(file, file.relative_to(path))
        return handle.tell()


class TooLarge(SystemExit):
    pass


def check_total(parts: dict[str, Path], limit: int = LAMBDA_UNZIPPED_LIMIT, zipped: bool = False, log=print) -> int:
    """Print each part's size and the total; raise TooLarge over Lambda's unzipped limit."""
    total = 0
    for name, path in parts.items():
        size = tree_size(path)
        total += size
        extra = f", {zipped_size(path) / 1e6:7.1f} MB zipped" if zipped else ""
        log(f"  {name:<24} {size / 1e6:7.1f} MB unzipped{extra}  ({path})")
    log(f"  {'total':<24} {total / 1e6:7.1f} MB unzipped; Lambda's limit {limit / 1e6:.1f} MB")
    if total > limit:
        raise TooLarge(f"layers.build: the function and its layers are {total / 1e6:.1f} MB unzipped, over Lambda's "
                       f"{limit / 1e6:.1f} MB: trim the dependencies layer (layers/dependencies.py TRIMS) or use arm64")
    return total
