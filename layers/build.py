"""Builds what the Lambda functions get, without Docker: the dependencies layer (wheels for
the Lambda runtime's Python and architecture, picked by pip's platform tags), the model
layer (the default pack at /opt/model-pack) and the function code (handler/ + ocr_engine/).

    python -m layers.build                      # arm64, Python 3.13: what the stack deploys
    python -m layers.build --arch x86_64 --python-version 3.11 --no-model   # the local proof

Wheels are downloaded once into build/layer-wheels/ and installed from there; a layer that
was built from the same recipe is kept. The sizes are printed, and the build fails if the
function and its layers exceed Lambda's 250 MB (unzipped).

The model layer and the function code are built here; the dependencies layer in
dependencies.py, the targets and folders in target.py, the sizes in sizes.py."""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
from pathlib import Path

from .dependencies import build_dependencies_layer, build_runtime_sdk
from .sizes import LAMBDA_UNZIPPED_LIMIT, TooLarge, check_total, tree_size
from .target import (
    DEFAULT_ARCH,
    LAMBDA_RUNTIME_PYTHON,
    MACHINES,
    ROOT,
    Target,
    dependencies_layer_dir,
    function_code_dir,
    model_layer_dir,
)
from .tracing import build_tracing_layer, tracing_layer_dir

# what the stack (infrastructure/) and the tests take from here, besides what is defined here
__all__ = ["LAMBDA_RUNTIME_PYTHON", "LAMBDA_UNZIPPED_LIMIT", "Target", "TooLarge", "build_dependencies_layer",
           "build_runtime_sdk", "check_total", "dependencies_layer_dir", "model_layer_dir",
           "build_model_layer", "stage_function_code", "build_tracing_layer", "tracing_layer_dir", "main"]

FUNCTION_CODE = ("handler", "ocr_engine")


# --- the model layer and the function code -----------------------------------------------


def build_model_layer(pack: Path | None = None, log=print) -> Path:
    """The default pack (built if missing) as the layer's `model-pack/` folder."""
    from ocr_build.trained_pack import build_named_pack
    from ocr_engine.packs import DEFAULT_PACK, ModelPack

    source = Path(pack) if pack else build_named_pack(DEFAULT_PACK, log=log)
    source_pack = ModelPack.load(source)
    layer = model_layer_dir()
    target = layer / "model-pack"
    try:
        if ModelPack.load(target).manifest == source_pack.manifest:
            log(f"{layer}: up to date ({source_pack.name} {source_pack.version})")
            return layer
    except Exception:
        pass
    if layer.exists():
        shutil.rmtree(layer)
    shutil.copytree(source, target, ignore=shutil.ignore_patterns(".*"))
    ModelPack.load(target)
    log(f"{layer}: {source_pack.name} {source_pack.version} at model-pack/ ({tree_size(layer) / 1e6:.1f} MB)")
    return layer


def stage_function_code(dest: Path | None = None) -> Path:
    """handler/ and ocr_engine/ only, without bytecode: the function's code asset. Staged
    afresh on every call (the stack calls it at synth), so a deploy never ships stale code."""
    dest = Path(dest) if dest else function_code_dir()
    dest.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".function-", dir=dest.parent))
    try:
        for package in FUNCTION_CODE:
            shutil.copytree(ROOT / package, staging / package, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        if dest.exists():
            shutil.rmtree(dest)
        staging.rename(dest)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return dest


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m layers.build", description=__doc__.split("\n\n")[0])
    parser.add_argument("--arch", choices=sorted(MACHINES), default=DEFAULT_ARCH)
    parser.add_argument("--python-version", default=LAMBDA_RUNTIME_PYTHON)
    parser.add_argument("--no-trim", action="store_true", help="keep what TRIMS removes (to measure it)")
    parser.add_argument("--no-model", action="store_true", help="skip the model layer and the function code")
    parser.add_argument("--zipped", action="store_true", help="also report zipped sizes (slower)")
    args = parser.parse_args(argv)

    target = Target(args.arch, args.python_version)
    parts = {f"dependencies ({target.name})": build_dependencies_layer(target, trim=not args.no_trim),
             f"tracing ({target.name}; only with the stack's `tracing`)": build_tracing_layer(target)}
    if not args.no_model:
        parts["model"] = build_model_layer()
        parts["function code"] = stage_function_code()
    print(f"sizes ({target.name}{', untrimmed' if args.no_trim else ''}):")
    check_total(parts, zipped=args.zipped)
    return 0


if __name__ == "__main__":
    sys.exit(main())
