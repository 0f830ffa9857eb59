"""crnn-v6t on a lent GPU (training/tiny_chunks.py, training/tiny_gpu.py): the packed lines carry the targets
tiny_train would train on, the trainer runs where only torch, numpy, OpenCV and onnx
are installed, and what it writes resumes and exports as a tiny_train checkpoint."""

import json
import os
import random
import subprocess
import sys

import numpy as np
import pytest

from conftest import REPO, WHEEL_CACHE

torch = pytest.importorskip("torch")


@pytest.fixture(scope="module")
def packed(tmp_path_factory, teacher_pack):
    from training.data import build_shard
    from training.teacher import Teacher
    from training.tiny_chunks import pack
    from training.tiny_run import text_charset

    root = tmp_path_factory.mktemp("gpu")
    data = root / "shards"
    data.mkdir()
    build_shard(data, 0, 7, text_charset(WHEEL_CACHE), Teacher(teacher_pack), size=24, held_out=False)
    pack([data], [data], root / "chunks", [50.0], seed=1, cache_dir=WHEEL_CACHE)
    return data, root / "chunks" / "a"


def test_packed_lines_hold_the_targets_tiny_train_builds(packed, teacher_pack):
    from training.tiny_batches import Encoder, load_targets, make_batch
    from training.tiny_chunks import TOP, Lines
    from training.tiny_config import TinyConfig
    from training.tiny_student import charset_map, extract_tiny

    data, chunk = packed
    _, characters = extract_tiny(WHEEL_CACHE)
    samples = load_targets(data, 0)
    lines = Lines(chunk / "lines.npz")
    assert 0 < len(lines) <= len(samples)
    encoder = Encoder(characters)
    mapping = charset_map(tuple(characters), tuple(teacher_pack.charset[1:-1]))
    kept = [s for s in samples if make_batch([s], encoder, mapping, TinyConfig("", ""), random.Random(0))]
    assert len(kept) == len(lines)
    for i, sample in enumerate(kept):
        target, _, ids, probs = lines.targets(i)
        assert target.tolist() == encoder.encode(sample.text)
        assert ids.shape == (sample.frames, TOP)
        best = mapping[sample.top_classes[:, 0].astype(np.int64)]
        assert (ids[best >= 0, 0] == best[best >= 0]).all()  # the teacher's first choice stays first
        assert np.allclose(probs.sum(-1)[best >= 0], 1.0, atol=1e-2)
        assert lines.image(i).shape == sample.image().shape
    assert json.loads((chunk / "charset.json").read_text()) == characters


def test_a_stretched_line_keeps_a_soft_target_per_frame():
    from training.tiny_gpu import vary

    rng = random.Random(3)
    image = np.full((48, 203, 3), 200, np.uint8)
    ids = np.arange(26)[:, None].repeat(3, 1)
    probs = np.full((26, 3), 1 / 3, np.float32)
    widths = set()
    for _ in range(60):
        varied, new_ids, new_probs = vary(image, ids, probs, 4, rng)
        assert varied.shape[0] == 48 and len(new_ids) == len(new_probs) == -(-varied.shape[1] // 8)
        assert (np.diff(new_ids[:, 0]) >= 0).all()  # frames resampled in order
        widths.add(varied.shape[1])
    assert len(widths) > 3


def test_the_gpu_trainer_needs_no_engine_and_writes_a_resumable_checkpoint(packed, tmp_path):
    """Two steps on the CPU, in a process that must not import ocr_engine (the device image has
    no pydantic), from the committed crnn-v6t checkpoint."""
    from training.tiny_student import load_checkpoint

    _, chunk = packed
    parent = REPO / "training" / "models" / "crnn-v6t.ckpt.pt"
    code = (
        "import sys\nfrom training.tiny_gpu import main\n"
        f"main(['train', '--chunks', {str(chunk)!r}, '--resume', {str(parent)!r}, '--out', {str(tmp_path)!r},"
        " '--steps', '2', '--batch-size', '4', '--workers', '0', '--warmup', '1'])\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('ocr_engine', 'pydantic')))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=600,
                            env={**os.environ, "OMP_NUM_THREADS": "1"})
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.strip().splitlines()[-1] == "[]"
    state = torch.load(tmp_path / "checkpoint.pt", weights_only=False)
    assert state["step"] == torch.load(parent, weights_only=False)["step"] + 2
    assert state["config"]["frozen_backbone"] is False
    model = load_checkpoint(tmp_path / "checkpoint.pt", WHEEL_CACHE)
    assert model(torch.zeros(1, 3, 48, 64)).shape[-1] == len(json.loads((chunk / "charset.json").read_text())) + 2
