"""Model packs: a folder with the ONNX models, the charset and a manifest that records
where every file came from and its sha256. Found, verified and loaded here."""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path

from .doubt import DoubtModel
from .errors import ModelPackError
from .recognize import RereadRule
from .settings import Settings

MANIFEST = "manifest.json"
LAMBDA_LAYER_PACK = Path("/opt/model-pack")
# The project's CRNN reads every line and PP-OCRv6 small re-reads the lines it doubts
# (ocr_build/trained_pack.py; training/MANIFEST, "Cascade")
DEFAULT_PACK = "crnn-v6t-cascade"
BUILD_HINT = "build one with `ocr pack build {name}` (README: set-up) or point OCR_MODEL_PACK at a pack folder"


def local_packs_dir(settings: Settings | None = None) -> Path:
    """`build/packs` beside the package (the project root in an editable install)."""
    if settings and settings.packs_dir:
        return Path(settings.packs_dir)
    return Path(__file__).resolve().parent.parent / "build" / "packs"


@dataclass(frozen=True)
class ModelSpec:
    """One model of a pack, as its manifest describes it."""

    path: Path
    precision: str
    input: dict


@dataclass(frozen=True)
class ModelPack:
    root: Path
    manifest: dict

    @property
    def name(self) -> str:
        return self.manifest["name"]

    @property
    def version(self) -> str:
        return self.manifest["version"]

    def model(self, role: str) -> ModelSpec:
        entry = self.manifest["models"][role]
        return ModelSpec(self.root / entry["file"], entry.get("precision", "fp32"), entry.get("input", {}))

    @property
    def charset(self) -> list[str]:
        """The recogniser's CTC classes: blank first, then the characters, then the space
        (PP-OCR's layout)."""
        return self.charset_of("rec")

    def charset_of(self, role: str) -> list[str]:
        """CTC classes of the recogniser in `role` (`rec`, or `rec_fallback`)."""
        rec = self.manifest["models"][role]
        chars = (self.root / rec["charset"]).read_text(encoding="utf-8").split("\n")
        if chars and chars[-1] == "":
            chars.pop()
        return ["<blank>"] + chars + ([" "] if rec.get("space_appended", True) else [])

    @property
    def has_fallback(self) -> bool:
        """Whether a second, stronger recogniser re-reads the lines the first is unsure of
        (`rec_fallback`; which lines: `reread_rule`)."""
        return "rec_fallback" in self.manifest["models"]

    @property
    def reread_rule(self) -> RereadRule:
        """The lines the fallback re-reads: `rec_fallback.reread`, the first reader's
        confidence and weakest frame below which it reads, and its `second_look`: the
        shift, in frames, of the first reader's second reading and the floors under which
        that reading confirms nothing (RereadRule); or its `doubt`, a learnt model that decides
        instead of the two thresholds (ocr_engine.doubt); with `pieces`, the fallback reads a
        doubted line's doubtful piece (ocr_engine.pieces)."""
        rule = self.manifest["models"]["rec_fallback"]["reread"]
        look = rule.get("second_look", {})
        model = DoubtModel.from_manifest(rule["doubt"]) if "doubt" in rule else None
        # a doubt model stands alone; without one, a confidence threshold is the least a rule has
        confidence = rule.get("confidence_below", 0.0) if model else rule["confidence_below"]
        return RereadRule(confidence=float(confidence), model=model,
                          weakest_frame=float(rule.get("weakest_frame_below", 0.0)),
                          second_look_shift=float(look.get("shift_frames", 0.0)),
                          second_look_confidence=float(look.get("confidence_below", 0.0)),
                          second_look_weakest_frame=float(look.get("weakest_frame_below", 0.0)),
                          pieces=bool(rule.get("pieces", False)))

    @classmethod
    def load(cls, root: str | os.PathLike, verify: bool = True) -> "ModelPack":
        root = Path(root)
        manifest_path = root / MANIFEST
        if not manifest_path.is_file():
            raise ModelPackError(
                f"no model pack at {root} (missing {MANIFEST}); " + BUILD_HINT.format(name=DEFAULT_PACK)
            )
        try:
            manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
            files = manifest["files"]
            manifest["models"]["rec"]["charset"]
            if "rec_fallback" in manifest["models"]:
                manifest["models"]["rec_fallback"]["charset"]
                cls(root, manifest).reread_rule
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            raise ModelPackError(
                f"the manifest at {manifest_path} is invalid ({exc!r}); " + BUILD_HINT.format(name=root.name)
            ) from None
        if verify:
            for name, expected in files.items():
                path = root / name
                if not path.is_file():
                    raise ModelPackError(
                        f"model pack {root} lacks {name}; " + BUILD_HINT.format(name=manifest.get("name", root.name))
                    )
                if sha256_file(path) != expected:
                    raise ModelPackError(
                        f"model pack {root}: {name} does not match its sha256 in {MANIFEST} (corrupt or edited); "
                        + BUILD_HINT.format(name=manifest.get("name", root.name))
                    )
        return cls(root, manifest)


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def candidate_roots(settings: Settings) -> list[Path]:
    """Where a pack is looked for, in order: OCR_MODEL_PACK (a path or a local pack name),
    the Lambda layer mount, the local build folder."""
    if settings.model_pack:
        as_path = Path(settings.model_pack)
        if as_path.is_dir() or os.sep in settings.model_pack or settings.model_pack.startswith("."):
            return [as_path]
        return [local_packs_dir(settings) / settings.model_pack]
    return [LAMBDA_LAYER_PACK, local_packs_dir(settings) / DEFAULT_PACK]


def find_pack(settings: Settings, verify: bool = True) -> ModelPack:
    roots = candidate_roots(settings)
    for root in roots:
        if (root / MANIFEST).is_file():
            return ModelPack.load(root, verify=verify)
    where = ", ".join(str(r) for r in roots)
    name = settings.model_pack if settings.model_pack and os.sep not in settings.model_pack else DEFAULT_PACK
    raise ModelPackError(f"no model pack found (looked in {where}); " + BUILD_HINT.format(name=name))


def list_packs(settings: Settings) -> list[ModelPack]:
    """Every pack in the places `find_pack` looks, unverified (listing must be cheap)."""
    seen: list[ModelPack] = []
    roots = candidate_roots(settings)
    packs_dir = local_packs_dir(settings)
    if packs_dir.is_dir():
        roots += sorted(p for p in packs_dir.iterdir() if p.is_dir())
    for root in dict.fromkeys(r.resolve() for r in roots):
        if (root / MANIFEST).is_file():
            try:
                seen.append(ModelPack.load(root, verify=False))
            except ModelPackError:
                continue
    return seen
