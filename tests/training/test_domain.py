"""`ocr-train --from crnn-zh-v1 --charset --corpus`: a user's own characters and text, on
a tiny configuration (a few steps; the README shows a real run)."""

import copy
import json
from pathlib import Path

import pytest
import torch

from conftest import onnx_ops

REPO = Path(__file__).resolve().parents[2]
EXAMPLE = REPO / "training" / "examples" / "names"
ADDED = "燊赟淏湉堉劼"


def test_the_examples_characters_are_new_to_the_model(student):
    _, encoder = student
    assert not set(ADDED) & set(encoder.charset)
    assert set(ADDED) == set("".join(EXAMPLE.joinpath("charset.txt").read_text(encoding="utf-8").split()))


def test_a_widened_head_reads_everything_as_before(student):
    from training.initial import widen_head

    model, encoder = student
    widened = widen_head(copy.deepcopy(model), len(encoder.charset) - 1, 3).eval()
    x = torch.rand(2, 3, 32, 160) * 2 - 1
    with torch.no_grad():
        before, after = model.eval()(x), widened(x)
    kept = torch.cat([after[..., :-4], after[..., -1:]], dim=-1)
    assert torch.allclose(before, kept, atol=1e-5)
    new_classes = after[..., -4:-1]
    assert (new_classes.max(-1).values < after.max(-1).values).all()  # never the best reading


def test_rendered_lines_mix_the_corpus_with_general_text(tmp_path):
    from training.rendered import RenderedPool

    corpus = tmp_path / "corpus.txt"
    corpus.write_text("收款人：王淏然\n\n  经办人 李赟  \n", encoding="utf-8")
    charset = (set("收款人：王淏然经办李赟") | {chr(c) for c in range(0x4E00, 0x9FA6)}
               | set("0123456789 ,.:ABCDEFGabcdefg"))
    pool = RenderedPool(corpus, charset, seed=3, domain_share=0.5)
    lines = [line for batch in pool.batches(8, group=8) for line in batch]
    from_corpus = [line for line in lines if not line.keepable]
    assert 0.25 < len(from_corpus) / len(lines) < 0.75
    assert all(set(line.text) <= set("收款人：王淏然经办李赟 ") for line in from_corpus)
    assert all(line.image().shape[0] == 48 and line.teacher == line.text for line in lines)


def test_a_character_no_font_draws_is_refused_not_drawn_as_a_box():
    from training.render import LineRenderer, MissingGlyphs

    with pytest.raises(MissingGlyphs, match="\U00013000"):
        LineRenderer(1).render("王\U00013000")  # an Egyptian hieroglyph: no Debian CJK or Latin font has it


def test_ocr_train_from_builds_a_pack_that_knows_the_added_characters(tmp_path, teacher_pack):
    from ocr_engine import OcrEngine
    from ocr_engine.packs import ModelPack
    from ocr_engine.settings import Settings
    from training.__main__ import main  # the `ocr-train` console script

    assert main(["--from", "crnn-zh-v1", "--charset", str(EXAMPLE / "charset.txt"),
                 "--corpus", str(EXAMPLE / "corpus.txt"), "--name", "names-test", "--run", str(tmp_path / "run"),
                 "--out", str(tmp_path / "packs"), "--steps", "2", "--batch-size", "4",
                 "--eval-dir", str(tmp_path / "no-dev-lines")]) == 0
    pack = ModelPack.load(tmp_path / "packs" / "names-test")
    assert pack.charset[-1] == " " and set(ADDED) <= set(pack.charset)
    assert pack.charset.index(ADDED[0]) > pack.charset.index("一")  # added after the old characters
    ops = onnx_ops(pack.model("rec").path)
    assert ops["DynamicQuantizeLSTM"] == 2 and ops["MatMulInteger"] >= 1
    assert json.loads(pack.manifest["source"]["training"])["base"] == "crnn-zh-v1"

    engine = OcrEngine(settings=Settings.from_env(model_pack=str(pack.root), threads=1))
    result = engine.read(str(REPO / "samples" / "receipt.png"))
    assert "Corner Shop" in result.text


def test_check_reads_rendered_lines_with_each_pack(tmp_path, trained_pack):
    from training.domain import check

    lines = tmp_path / "lines.txt"
    lines.write_text("TOTAL 12.50\n合计金额\nCASH 20.00\n", encoding="utf-8")
    result = check([trained_pack.root], lines, renders=2)
    assert result == {trained_pack.name: {"exact": pytest.approx(result[trained_pack.name]["exact"]), "lines": 6}}
    assert result[trained_pack.name]["exact"] >= 0.5  # plain lines: a reader that cannot read them fails
