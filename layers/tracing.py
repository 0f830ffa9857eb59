"""The tracing layer: the X-Ray SDK (layers/requirements-tracing.txt) that Powertools'
Tracer needs, added to both functions only when the stack's `tracing` prop is on; off, the
handlers never import it. Installed with `--no-deps`: botocore, its other dependency, is the
Lambda runtime's. A layer built from the same recipe is kept."""

from __future__ import annotations

import json
import shutil
import tempfile
from pathlib import Path

from .dependencies import _check_all_pinned, _pip, _sha256
from .target import Target, layers_dir

TRACING_REQUIREMENTS = Path(__file__).resolve().parent / "requirements-tracing.txt"


def tracing_layer_dir(target: Target) -> Path:
    """The layer's root: it holds `python/`, on sys.path as /opt/python beside the dependencies'."""
    return layers_dir() / f"tracing-{target.name}"


def build_tracing_layer(target: Target, log=print) -> Path:
    layer = tracing_layer_dir(target)
    recipe = _sha256("\n".join([target.name, " ".join(target.pip_options()),
                                TRACING_REQUIREMENTS.read_text()]).encode())
    stamp = layer.with_name(layer.name + ".recipe.json")
    if layer.is_dir() and stamp.is_file() and json.loads(stamp.read_text()).get("recipe") == recipe:
        log(f"{layer}: up to date")
        return layer
    staging = Path(tempfile.mkdtemp(prefix=f".{layer.name}-", dir=layer.parent))
    try:
        site = staging / "python"
        log(f"{layer.name}: installing {TRACING_REQUIREMENTS.name} for {target.arch}, Python {target.python_version}")
        _pip("install", "--quiet", "--no-deps", "--target", str(site), "--no-compile", *target.pip_options(),
             "-r", str(TRACING_REQUIREMENTS))
        _check_all_pinned(site, TRACING_REQUIREMENTS)
        shutil.rmtree(site / "bin", ignore_errors=True)
        if layer.exists():
            shutil.rmtree(layer)
        staging.rename(layer)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    stamp.write_text(json.dumps({"recipe": recipe}, indent=1) + "\n")
    return layer
