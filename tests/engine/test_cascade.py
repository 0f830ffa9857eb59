"""Packs with a fallback recogniser: the student reads every line and PP-OCRv6 small re-reads
the lines the student is unsure of, by a threshold rule (crnn-v6t-thresholds) or a doubt model
(crnn-v6t-cascade, the default); real models on real dev lines."""

from dataclasses import replace

import cv2
import numpy as np
import pytest

from ocr_build.trained_pack import BASE_PACK, build_trained_pack
from ocr_engine.engine import OcrEngine
from ocr_engine.packs import ModelPack, local_packs_dir
from ocr_engine.preprocess import upright_line
from ocr_engine.recognize import Reading, RereadRule
from ocr_engine.settings import Settings
from tests.conftest import EVAL, eval_records


@pytest.fixture(scope="module")
def cascade_pack() -> ModelPack:
    """The cascade under the threshold rule (the default until the doubt model)."""
    return ModelPack.load(build_trained_pack("crnn-v6t-thresholds", log=lambda _: None))


@pytest.fixture(scope="module")
def dev_lines() -> list[np.ndarray]:
    records = eval_records("line")[::4]  # a spread of the dev lines: receipts, web images, documents
    return [upright_line(cv2.imread(str(EVAL / record["file"]), cv2.IMREAD_COLOR)) for record in records]


def _engine(pack: ModelPack, **settings) -> OcrEngine:
    return OcrEngine(pack=pack, settings=Settings.from_env(threads=1, **settings))


def test_manifest_carries_the_fallback_with_its_own_charset_and_threshold(cascade_pack):
    rule = cascade_pack.reread_rule
    assert 0 < rule.confidence < 1 and 0 < rule.weakest_frame < 1
    assert {"rec_fallback.onnx", "rec_fallback_charset.txt"} <= set(cascade_pack.manifest["files"])
    # the student's charset is PP-OCRv6 tiny's, the fallback's PP-OCRv6 small's
    assert len(cascade_pack.charset_of("rec_fallback")) > len(cascade_pack.charset)
    assert cascade_pack.has_fallback


def test_only_the_lines_the_rule_doubts_are_read_again(cascade_pack, dev_lines):
    recognizer = _engine(cascade_pack).recognizer
    rule = recognizer.reread_rule
    assert recognizer.fallback is not None and rule is not None
    first = _engine(cascade_pack, reread_below=0).recognizer.read(dev_lines)  # the student alone
    cascaded = recognizer.read(dev_lines)
    doubtful = [i for i, r in enumerate(first) if r.confidence < rule.confidence or r.weakest < rule.weakest_frame]
    assert 0 < len(doubtful) < len(dev_lines)  # a rule that splits the lines
    # each half of the rule re-reads lines of its own: sure characters around a weak frame
    assert any(first[i].confidence >= rule.confidence for i in doubtful)
    # (read as one batch, as the cascade reads them: a batch's padding moves the scores a little)
    again = dict(zip(doubtful, recognizer.fallback.read([dev_lines[i] for i in doubtful])))
    for i, (own, kept) in enumerate(zip(first, cascaded)):
        expected = again.get(i, own)
        assert (kept.text, kept.confidence) == (expected.text, expected.confidence)


def test_a_second_look_keeps_the_doubted_lines_it_confirms_and_the_fallback_reads_the_rest(cascade_pack, dev_lines):
    recognizer = _engine(cascade_pack).recognizer
    rule = recognizer.reread_rule = replace(recognizer.reread_rule, second_look_shift=0.5,
                                            second_look_confidence=0.85, second_look_weakest_frame=0.3)
    student = _engine(cascade_pack, reread_below=0).recognizer
    first = student.read(dev_lines)
    doubtful = [i for i, reading in enumerate(first) if rule.doubts(reading)]
    # the second look: each doubted crop moved right by the shift's share of a frame, 8 px of a 48 px strip
    pixels = [round(rule.second_look_shift * 8 * dev_lines[i].shape[0] / 48) for i in doubtful]
    looks = student.read([cv2.copyMakeBorder(dev_lines[i], 0, 0, shift, 0, cv2.BORDER_REPLICATE)
                          for i, shift in zip(doubtful, pixels)])
    confirmed = {i for i, look in zip(doubtful, looks) if look.text == first[i].text
                 and min(look.confidence, first[i].confidence) >= rule.second_look_confidence
                 and min(look.weakest, first[i].weakest) >= rule.second_look_weakest_frame}
    unconfirmed = [i for i in doubtful if i not in confirmed]
    assert confirmed and unconfirmed  # the second look splits the doubted lines

    cascaded = recognizer.read(dev_lines)

    again = dict(zip(unconfirmed, recognizer.fallback.read([dev_lines[i] for i in unconfirmed])))
    for i, (own, kept) in enumerate(zip(first, cascaded)):
        expected = again.get(i, own)
        assert (kept.text, kept.confidence) == (expected.text, expected.confidence)


def test_a_second_look_confirms_only_the_same_text_above_its_floors():
    rule = RereadRule(0.93, 0.55, second_look_shift=0.5, second_look_confidence=0.85, second_look_weakest_frame=0.3)

    def reading(text: str, confidence: float, weakest: float) -> Reading:
        return Reading(text, confidence, 0.0, list(text), np.zeros((len(text), 3)), weakest)

    doubted = reading("合计 12", 0.9, 0.5)
    assert rule.doubts(doubted)
    assert rule.confirms(doubted, reading("合计 12", 0.95, 0.6))
    assert not rule.confirms(doubted, reading("合计 1", 0.95, 0.6))  # another text
    assert not rule.confirms(doubted, reading("合计 12", 0.8, 0.6))  # the second's confidence under the floor
    assert not rule.confirms(reading("合计 12", 0.9, 0.2), reading("合计 12", 0.95, 0.6))  # the first's frame


def test_reread_below_setting_overrides_the_pack(cascade_pack, dev_lines):
    never = _engine(cascade_pack, reread_below=0)
    assert never.recognizer.fallback is None
    always = _engine(cascade_pack, reread_below=1)
    assert always.recognizer.reread_rule.confidence == 1
    texts = [r.text for r in always.recognizer.read(dev_lines)]
    assert texts == [r.text for r in always.recognizer.fallback.read(dev_lines)]
    assert texts != [r.text for r in never.recognizer.read(dev_lines)]


def test_a_pack_without_a_fallback_reads_with_its_one_recogniser():
    plain = ModelPack.load(local_packs_dir() / BASE_PACK)
    assert not plain.has_fallback
    assert _engine(plain, reread_below=0.9).recognizer.fallback is None


def test_an_upside_down_line_the_student_doubts_is_turned_and_read_by_the_fallback(cascade_pack, dev_lines):
    """Every line doubted (OCR_REREAD_BELOW=1): the fallback reads a flagged line both ways
    and keeps the upright reading, the one it gives the line upright."""
    engine = _engine(cascade_pack, reread_below=1)
    line = max(dev_lines, key=lambda image: image.shape[1])
    upright = engine.read(line, mode="line").text
    turned = engine.read(np.ascontiguousarray(line[::-1, ::-1]), mode="line").text
    assert upright == turned == engine.recognizer.fallback.recognize([line])[0][0]


@pytest.fixture(scope="module")
def doubt_pack() -> ModelPack:
    """The default: the cascade under a doubt model."""
    return ModelPack.load(build_trained_pack("crnn-v6t-cascade", log=lambda _: None))


def test_a_doubt_model_decides_which_lines_are_read_again(doubt_pack, dev_lines):
    recognizer = _engine(doubt_pack).recognizer
    rule = recognizer.reread_rule
    assert rule is not None and rule.model is not None and recognizer.fallback is not None
    student = _engine(doubt_pack, reread_below=0).recognizer
    student.keeps_frames = True
    first = student.read(dev_lines)
    doubted = [i for i, reading in enumerate(first) if rule.model.doubts(reading.frames)]
    assert 0 < len(doubted) < len(dev_lines)
    cascaded = recognizer.read(dev_lines)
    again = dict(zip(doubted, recognizer.fallback.read([dev_lines[i] for i in doubted])))
    for i, (own, kept) in enumerate(zip(first, cascaded)):
        expected = again.get(i, own)
        assert (kept.text, kept.confidence) == (expected.text, expected.confidence)
    for reading in first:  # the frames the model weighed: the runner-up never above the best
        frames = reading.frames
        assert frames is not None and len(frames.best) == len(frames.runner_up) == len(frames.classes)
        assert (frames.runner_up <= frames.best).all() and frames.confidence == pytest.approx(reading.confidence)


@pytest.mark.parametrize("reread_below", [0, None], ids=["the student alone", "the pack's rule"])
def test_a_narrow_glyph_alone_in_a_tall_box_is_read_standing_up(cascade_pack, doubt_pack, reread_below):
    """A table's "3", boxed tight, is half again as tall as wide: turned on its side as a vertical
    line would be, it reads "m", which the student was sure of (0.89) and the doubt model let
    through (training/MANIFEST, 'Doubt model'). Read standing too, it fits better."""
    import io

    from testkit.tables import DrawnTable, draw_page

    buffer = io.BytesIO()
    table = [["名称", "数量", "单价"], ["苹果", "3", "4.50"], ["香蕉", "12", "0.25"], ["樱桃", "7", "19.00"]]
    draw_page(["水果价格表", DrawnTable(table, style="borderless")]).save(buffer, format="PNG")
    for pack in (cascade_pack, doubt_pack):
        lines = _engine(pack, reread_below=reread_below).read(buffer.getvalue(), mode="page").lines
        (cell,) = [line for line in lines if line.text == "3"]
        (word,) = cell.words
        glyph, line = np.array(word.box), np.array(cell.box)
        assert (glyph.min(axis=0) >= line.min(axis=0) - 2).all() and (glyph.max(axis=0) <= line.max(axis=0) + 2).all()
        width, height = glyph.max(axis=0) - glyph.min(axis=0)
        assert height > width  # the glyph's box stands as the glyph does


def test_a_threshold_set_by_hand_replaces_the_doubt_model(doubt_pack):
    rule = _engine(doubt_pack, reread_below=0.9).recognizer.reread_rule
    assert rule is not None and rule.model is None and rule.confidence == 0.9


def _without_rule(reread: dict) -> None:
    reread.clear()


def _second_look_not_a_table(reread: dict) -> None:
    reread["second_look"] = "0.5"


def _doubt_on_an_unknown_feature(reread: dict) -> None:
    reread["doubt"] = {"weights": {"sharpness": 1.0}, "bias": 0.0, "doubt_at_log_odds": 0.0}


def _doubt_without_a_threshold(reread: dict) -> None:
    reread["doubt"] = {"weights": {"confidence": -1.0}, "bias": 0.0}


@pytest.mark.parametrize("spoil", [_without_rule, _second_look_not_a_table, _doubt_on_an_unknown_feature,
                                   _doubt_without_a_threshold])
def test_a_fallback_without_a_valid_rule_is_an_invalid_pack_not_a_crash(cascade_pack, tmp_path, spoil):
    import json
    import shutil

    from ocr_engine.errors import ModelPackError

    copy = shutil.copytree(cascade_pack.root, tmp_path / "spoilt")
    manifest = json.loads((copy / "manifest.json").read_text(encoding="utf-8"))
    spoil(manifest["models"]["rec_fallback"]["reread"])
    (copy / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    with pytest.raises(ModelPackError, match="invalid"):
        ModelPack.load(copy)
