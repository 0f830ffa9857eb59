"""The dependencies layer: wheels for the Lambda runtime's Python and architecture (picked
by pip's platform tags), downloaded once, installed into `python/`, every package pinned,
trimmed of what Lambda never imports; kept while its recipe holds."""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from .sizes import tree_size
from .target import BUILD, Target, dependencies_layer_dir, runtime_sdk_dir

HERE = Path(__file__).resolve().parent
REQUIREMENTS = HERE / "requirements-lambda.txt"
RUNTIME_SDK = HERE / "requirements-runtime-sdk.txt"
RECIPE_VERSION = 1


# What is never imported on Lambda, removed from the installed tree. Each is proved by the
# test that runs one OCR (an image and a PDF) with the x86_64 build of this recipe in a
# clean interpreter (tests/infra/test_layers.py).
TRIMS: dict[str, str] = {
    "onnxruntime/capi/libonnxruntime.so.*":
        "the C API library; the Python binding (onnxruntime_pybind11_state) does not link it",
    "onnxruntime/transformers": "model optimisation tools",
    "onnxruntime/tools": "conversion and profiling tools",
    "onnxruntime/quantization": "quantization happens when a pack is built, not at run time",
    "onnxruntime/datasets": "sample models",
    "onnxruntime/backend": "the ONNX backend test API",
    "numpy/**/tests": "numpy's own test suite",
    "numpy/_core/lib/libnpymath.a": "a static library for building C extensions",
    "bin": "console scripts; nothing on Lambda runs them",
    "swagger_ui_bundle/vendor/*/*.map": "Swagger UI's source maps: only a browser's developer tools fetch them",
    "swagger_ui_bundle/vendor/*/swagger-ui-es-bundle*": "Swagger UI's ES-module builds: /docs loads the plain bundle",
    "lxml/objectify.*.so": "lxml.objectify: pikepdf (the searchable PDF) uses lxml.etree only",
    "lxml/includes": "lxml's C headers, for building extensions",
    "lxml/isoschematron": "Schematron validation; nothing here validates XML",
    "**/__pycache__": "bytecode of the build machine's Python, not the runtime's",
}


def build_dependencies_layer(target: Target, trim: bool = True, requirements: Path = REQUIREMENTS, log=print,
                             folder: Path | None = None) -> Path:
    """`requirements` installed for `target` into `folder` (default: the dependencies layer's),
    every package pinned, trimmed of TRIMS unless `trim` is off; kept while its recipe holds."""
    layer = folder or dependencies_layer_dir(target, trim)
    recipe = _recipe(target, trim, requirements)
    stamp = layer.with_name(layer.name + ".recipe.json")
    if layer.is_dir() and stamp.is_file() and json.loads(stamp.read_text()).get("recipe") == recipe:
        log(f"{layer}: up to date")
        return layer
    wheels = download_wheels(target, requirements, log)
    staging = Path(tempfile.mkdtemp(prefix=f".{layer.name}-", dir=layer.parent))
    try:
        site = staging / "python"
        log(f"{layer.name}: installing {requirements.name} for {target.arch}, Python {target.python_version}")
        _pip("install", "--quiet", "--no-index", "--find-links", str(wheels), "--target", str(site), "--no-compile",
             *target.pip_options(), "-r", str(requirements))
        _check_all_pinned(site, requirements)
        removed = trim_tree(site, log) if trim else {}
        if layer.exists():
            shutil.rmtree(layer)
        staging.rename(layer)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    stamp.write_text(json.dumps({"recipe": recipe, "removed_bytes": removed}, indent=1) + "\n")
    log(f"{layer}: built ({tree_size(layer) / 1e6:.1f} MB)")
    return layer


def download_wheels(target: Target, requirements: Path, log=print) -> Path:
    """The wheels of `requirements` for `target`, downloaded once (build/layer-wheels/)."""
    wheels = BUILD / "layer-wheels" / target.name
    stamp = wheels / f".downloaded-{_sha256(requirements.read_bytes())[:16]}"
    if not stamp.is_file():
        wheels.mkdir(parents=True, exist_ok=True)
        log(f"downloading the wheels of {requirements.name} for {target.name} into {wheels}")
        _pip("download", "--quiet", "--dest", str(wheels), *target.pip_options(), "-r", str(requirements))
        stamp.touch()
    return wheels


def build_runtime_sdk(target: Target, log=print) -> Path:
    """A stand-in for the SDK the Lambda runtime provides (tests only; never deployed)."""
    return build_dependencies_layer(target, trim=False, requirements=RUNTIME_SDK, log=log,
                                    folder=runtime_sdk_dir(target))


def trim_tree(site: Path, log=print) -> dict[str, int]:
    """Remove TRIMS from an installed tree; the bytes each one removed."""
    removed = {}
    for pattern, why in TRIMS.items():
        matches = sorted(site.glob(pattern), key=lambda p: len(p.parts), reverse=True)
        size = 0
        for path in matches:
            if not path.exists():
                continue  # inside something removed already
            size += tree_size(path)
            shutil.rmtree(path) if path.is_dir() else path.unlink()
        removed[pattern] = size
        log(f"  trim {pattern}: {size / 1e6:.1f} MB ({why})")
    return removed


def _check_all_pinned(site: Path, requirements: Path) -> None:
    pinned = {_normalise(line.split("==")[0]) + "==" + line.split("==")[1] for line in _requirement_lines(requirements)}
    installed = set()
    for dist_info in site.glob("*.dist-info"):
        name, version = dist_info.name[: -len(".dist-info")].rsplit("-", 1)
        installed.add(_normalise(name) + "==" + version)
    unpinned = sorted(installed - pinned)
    if unpinned:
        raise SystemExit(f"layers.build: pip installed packages that {requirements.name} does not pin: "
                         f"{', '.join(unpinned)}; pin them (exact ==) or find what pulls them in")


def _requirement_lines(requirements: Path) -> list[str]:
    lines = (line.split("#")[0].strip() for line in requirements.read_text().splitlines())
    return [line for line in lines if line]


def _normalise(name: str) -> str:
    return name.lower().replace("_", "-").replace(".", "-")


def _recipe(target: Target, trim: bool, requirements: Path) -> str:
    parts = [str(RECIPE_VERSION), target.name, " ".join(target.pip_options()), str(trim),
             requirements.read_text(), json.dumps(TRIMS if trim else {}, sort_keys=True)]
    return _sha256("\n".join(parts).encode())


def _pip(*args: str) -> None:
    subprocess.run([sys.executable, "-m", "pip", *args, "--disable-pip-version-check"], check=True)


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()
