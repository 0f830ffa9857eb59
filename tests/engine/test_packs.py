"""Model packs: found where the spec says, verified by checksum, built from pinned wheels."""

import json
import shutil

import onnxruntime as ort
import pytest

from ocr_build.pack_build import build_pack
from ocr_build.recipes import RECIPES
from ocr_build.trained_pack import BASE_PACK, TRAINED_RECIPES, checkout
from ocr_engine import ModelPackError, Settings, find_pack
from ocr_engine.packs import ModelPack, local_packs_dir, sha256_file


@pytest.fixture(scope="module")
def default_pack() -> ModelPack:
    return find_pack(Settings.from_env())


def test_a_wheel_packs_manifest_names_its_sources_and_a_checksum_for_every_file():
    wheel_pack = ModelPack.load(local_packs_dir() / BASE_PACK)
    manifest = wheel_pack.manifest
    recipe = RECIPES[manifest["name"]]
    assert manifest["sources"] == [
        {"package": w.package, "version": w.version, "wheel_sha256": w.wheel_sha256} for w in recipe.wheels
    ]
    for role in ("det", "cls", "rec"):
        model = manifest["models"][role]
        source = getattr(recipe, role)
        assert model["source_package"] == f"{source.wheel.package}=={source.wheel.version}"
        assert (model["source_file"], model["source_sha256"]) == (source.path, source.sha256)
    _every_file_is_listed_with_its_checksum(wheel_pack)
    for role in ("det", "cls", "rec"):
        assert manifest["models"][role]["precision"] in ("fp32", "int8-matmul")


def test_the_default_packs_manifest_names_where_each_model_came_from(default_pack):
    """The default is a trained recogniser's pack: its CRNN from the repository, det, cls
    and the cascade's fallback copied from the base wheel pack, each traceable."""
    manifest = default_pack.manifest
    recipe = TRAINED_RECIPES[manifest["name"]]
    assert manifest["source"]["sha256"] == manifest["models"]["rec"]["source_sha256"] \
        == sha256_file(checkout() / recipe.rec_file)
    base = ModelPack.load(local_packs_dir() / BASE_PACK)
    for role, base_role in (("det", "det"), ("cls", "cls"), ("rec_fallback", "rec")):
        assert manifest["models"][role]["from_pack"]["name"] == BASE_PACK
        assert manifest["models"][role]["source_sha256"] == base.manifest["models"][base_role]["source_sha256"]
        assert sha256_file(default_pack.model(role).path) == sha256_file(base.model(base_role).path)
    _every_file_is_listed_with_its_checksum(default_pack)


def test_the_default_packs_recogniser_is_a_crnn_with_int8_nodes(default_pack):
    """Issue 20: the default reads with the project's CRNN (an LSTM), quantized to INT8."""
    from collections import Counter

    import onnx

    ops = Counter(node.op_type for node in onnx.load(str(default_pack.model("rec").path)).graph.node)
    assert ops["DynamicQuantizeLSTM"] == 2 and ops["MatMulInteger"] >= 1
    assert default_pack.manifest["models"]["rec"]["precision"] == "int8-lstm-matmul"


def _every_file_is_listed_with_its_checksum(pack: ModelPack) -> None:
    files = {p.name for p in pack.root.iterdir() if p.name != "manifest.json"}
    assert set(pack.manifest["files"]) == files
    for name, digest in pack.manifest["files"].items():
        assert sha256_file(pack.root / name) == digest


@pytest.mark.parametrize("role", ["rec", "rec_fallback"])
def test_the_charset_matches_the_recogniser_output(default_pack, role):
    session = ort.InferenceSession(str(default_pack.model(role).path), providers=["CPUExecutionProvider"])
    classes = session.get_outputs()[0].shape[-1]
    charset = default_pack.charset_of(role)
    assert len(charset) == classes
    assert charset[-1] == " " and len(set(charset)) > 6000


def test_a_pack_is_found_by_OCR_MODEL_PACK(default_pack, tmp_path):
    copy = shutil.copytree(default_pack.root, tmp_path / "my-pack")
    assert find_pack(Settings.from_env({"OCR_MODEL_PACK": str(copy)})).root == copy


def test_a_corrupt_pack_fails_at_load_with_how_to_rebuild(default_pack, tmp_path):
    copy = shutil.copytree(default_pack.root, tmp_path / "corrupt")
    with open(copy / "rec.onnx", "r+b") as model:
        model.seek(1000)
        byte = model.read(1)
        model.seek(1000)
        model.write(bytes([byte[0] ^ 0xFF]))
    with pytest.raises(ModelPackError) as raised:
        ModelPack.load(copy)
    assert "sha256" in raised.value.message and "ocr pack build" in raised.value.message


def test_a_pack_with_a_missing_file_fails_at_load(default_pack, tmp_path):
    copy = shutil.copytree(default_pack.root, tmp_path / "incomplete")
    (copy / "det.onnx").unlink()
    with pytest.raises(ModelPackError, match="lacks det.onnx"):
        ModelPack.load(copy)


def test_no_pack_anywhere_fails_with_how_to_build_one(tmp_path):
    settings = Settings.from_env({"OCR_MODEL_PACK": "absent", "OCR_PACKS_DIR": str(tmp_path)})
    with pytest.raises(ModelPackError, match="ocr pack build absent"):
        find_pack(settings)


def test_building_a_pack_from_its_wheel_is_verified_and_idempotent(tmp_path, default_pack):
    wheels = default_pack.root.parent.parent / "wheels"  # reuse setup's download cache
    messages = []
    path = build_pack("ppocr-v4", precision="fp32", out_dir=tmp_path, cache_dir=wheels, log=messages.append)
    pack = ModelPack.load(path)
    assert pack.name == "ppocr-v4" and pack.manifest["precision"] == "fp32"
    assert len(pack.charset) == 6623 + 2
    build_pack("ppocr-v4", precision="fp32", out_dir=tmp_path, cache_dir=wheels, log=messages.append)
    assert messages[-1].endswith("up to date")
    (source,) = json.loads((path / "manifest.json").read_text())["sources"]
    assert source["wheel_sha256"] == RECIPES["ppocr-v4"].rec.wheel.wheel_sha256
