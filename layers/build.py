"""Builds what the Lambda functions get, without Docker: the dependencies layer (wheels for
the Lambda runtime's Python and architecture, picked by pip's platform tags), the model
layer (the default pack at /opt/model-pack) and the function code (handler/ + ocr_engine/).

    python -m layers.build                      # arm64, Python 3.12: what the stack deploys
    python -m layers.build --arch x86_64 --python-version 3.11 --no-model   # the local proof

Wheels are downloaded once into build/layer-wheels/ and installed from there; a layer that
was built from the same recipe is kept. The sizes are printed, and the build fails if the
function and its layers exceed Lambda's 250 MB (unzipped)."""

from __future__ import annotations

import argparse
import hashlib
import json
import shutil
import subprocess
import sys
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
HERE = Path(__file__).resolve().parent
BUILD = ROOT / "build"
REQUIREMENTS = HERE / "requirements-lambda.txt"
RUNTIME_SDK = HERE / "requirements-runtime-sdk.txt"
RECIPE_VERSION = 1

LAMBDA_RUNTIME_PYTHON = "3.12"
DEFAULT_ARCH = "arm64"  # x86_64 is over the 250 MB limit untrimmed (bench/results/2026-11-25-layers.md)
MACHINES = {"arm64": "aarch64", "x86_64": "x86_64"}
# Lambda's limit for a function and all its layers, unzipped: 250 MiB as the quota counts it
LAMBDA_UNZIPPED_LIMIT = 262_144_000

# What is never imported on Lambda, removed from the installed tree. Each is proved by the
# test that runs one OCR (an image and a PDF) with the x86_64 build of this recipe in a
# clean interpreter (tests/infra/test_layers.py).
TRIMS: dict[str, str] = {
    "onnxruntime/capi/libonnxruntime.so.*": "the C API library; the Python binding (onnxruntime_pybind11_state) does not link it",
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
FUNCTION_CODE = ("handler", "ocr_engine")


@dataclass(frozen=True)
class Target:
    arch: str  # arm64 | x86_64 (Lambda's names)
    python_version: str  # "3.12"

    @property
    def machine(self) -> str:
        return MACHINES[self.arch]

    @property
    def platforms(self) -> list[str]:
        """Every manylinux tag up to glibc 2.28 (the runtimes have glibc 2.26 on Amazon Linux 2
        for older runtimes, 2.34 on Amazon Linux 2023 for python3.12): pip does not widen a
        `manylinux_2_28` tag to older ones by itself."""
        return [f"manylinux_2_{minor}_{self.machine}" for minor in range(28, 16, -1)] + [f"manylinux2014_{self.machine}"]

    def pip_options(self) -> list[str]:
        options = ["--only-binary=:all:", "--implementation", "cp", "--python-version", self.python_version]
        for platform in self.platforms:
            options += ["--platform", platform]
        return options

    @property
    def name(self) -> str:
        """`arm64-cp312`: no dot, which CDK would keep as an extension of the asset's name."""
        return f"{self.arch}-cp{self.python_version.replace('.', '')}"


def layers_dir() -> Path:
    path = BUILD / "layers"
    path.mkdir(parents=True, exist_ok=True)
    return path


def dependencies_layer_dir(target: Target, trim: bool = True) -> Path:
    """The layer's root: it holds `python/`, which Lambda puts on sys.path as /opt/python."""
    return layers_dir() / f"deps-{target.name}{'' if trim else '-untrimmed'}"


def model_layer_dir() -> Path:
    """The layer's root: it holds `model-pack/`, mounted at /opt/model-pack."""
    return layers_dir() / "model"


def function_code_dir() -> Path:
    return BUILD / "function"


def runtime_sdk_dir(target: Target) -> Path:
    return layers_dir() / f"runtime-sdk-{target.name}"


# --- the dependencies layer -----------------------------------------------------------


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
    return build_dependencies_layer(target, trim=False, requirements=RUNTIME_SDK, log=log, folder=runtime_sdk_dir(target))


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


# --- the model layer and the function code -----------------------------------------------


def build_model_layer(pack: Path | None = None, log=print) -> Path:
    """The default pack (built if missing) as the layer's `model-pack/` folder."""
    from ocr_build.pack_build import build_pack
    from ocr_engine.packs import DEFAULT_PACK, ModelPack

    source = Path(pack) if pack else build_pack(DEFAULT_PACK, log=log)
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


# --- sizes ------------------------------------------------------------------------------------


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
                       f"{limit / 1e6:.1f} MB: trim the dependencies layer (layers/build.py TRIMS) or use arm64")
    return total


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m layers.build", description=__doc__.split("\n\n")[0])
    parser.add_argument("--arch", choices=sorted(MACHINES), default=DEFAULT_ARCH)
    parser.add_argument("--python-version", default=LAMBDA_RUNTIME_PYTHON)
    parser.add_argument("--no-trim", action="store_true", help="keep what TRIMS removes (to measure it)")
    parser.add_argument("--no-model", action="store_true", help="skip the model layer and the function code")
    parser.add_argument("--zipped", action="store_true", help="also report zipped sizes (slower)")
    args = parser.parse_args(argv)

    target = Target(args.arch, args.python_version)
    parts = {f"dependencies ({target.name})": build_dependencies_layer(target, trim=not args.no_trim)}
    if not args.no_model:
        parts["model"] = build_model_layer()
        parts["function code"] = stage_function_code()
    print(f"sizes ({target.name}{', untrimmed' if args.no_trim else ''}):")
    check_total(parts, zipped=args.zipped)
    return 0


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


if __name__ == "__main__":
    sys.exit(main())
