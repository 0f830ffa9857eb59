"""ocr_engine/pieces.py: the doubtful piece of a line, cut between CTC runs with two anchors a
side, and the fallback's reading of it spliced in, worked by hand; and the candidate pack that
re-reads so (crnn-v6t-pieces), on real dev lines."""

import cv2
import numpy as np
import pytest

from ocr_engine.ctc import char_spans
from ocr_engine.doubt import Frames
from ocr_engine.pieces import Piece, doubtful_piece, splice
from ocr_engine.recognize import Reading

FRAME = 8  # a frame's width in the crop's pixels, in these readings


def reading_of(text: str, unsure: int | None = None, gap: int = 4) -> Reading:
    """A reading of `text` with each character a one-frame run every `gap` frames, sure but for
    the character at `unsure` (a probability of 0.6)."""
    charset = ["<blank>"] + sorted(set(text))
    classes = np.zeros(gap * len(text) + 1, int)
    best = np.full(len(classes), 0.99)
    for k, ch in enumerate(text):
        classes[gap * k + 1] = charset.index(ch)
        if k == unsure:
            best[gap * k + 1] = 0.6
    runner_up_class = np.where(classes == 0, 1, 0)
    frames = Frames(classes, best, 1 - best, runner_up_class)
    spans = char_spans(classes, best)
    spans[:, :2] *= FRAME
    return Reading(text, float(spans[:, 2].mean()), 0.0, list(text), spans, float(best.min()), frames)


def test_the_piece_holds_the_unsure_character_and_two_anchors_a_side():
    line = reading_of("ABCDEFGHIJKLMNOP", unsure=7)  # "H"
    piece = doubtful_piece(line, crop_width=FRAME * 65, frame_pixels=FRAME)
    assert piece is not None
    assert (piece.first, piece.last) == (5, 10)  # F G [H] I J
    assert piece.anchored_left and piece.anchored_right
    # cut halfway between the runs of E and F (frames 17 and 21), and of J and K (37 and 41)
    assert (piece.left, piece.right) == ((18 + 21) * FRAME // 2, (38 + 41) * FRAME // 2)


def test_no_piece_where_nothing_is_unsure_or_the_piece_would_be_most_of_the_line():
    assert doubtful_piece(reading_of("ABCDEFGHIJKLMNOP"), FRAME * 65, FRAME) is None
    assert doubtful_piece(reading_of("ABCDEF", unsure=2), FRAME * 25, FRAME) is None


def test_a_piece_at_the_lines_start_runs_to_its_edge_unanchored():
    piece = doubtful_piece(reading_of("ABCDEFGHIJKLMNOP", unsure=0), FRAME * 65, FRAME)
    assert piece is not None and piece.left == 0 and piece.first == 0 and not piece.anchored_left


def test_spaces_are_not_anchors():
    line = "AB CD EF GH IJ KL MN"
    piece = doubtful_piece(reading_of(line, unsure=line.index("H")), FRAME * 81, FRAME)
    assert piece is not None
    assert line[piece.first:piece.last] == "F GH IJ"


PIECE = Piece(left=100, right=200, first=5, last=10, anchored_left=True, anchored_right=True)


def test_the_fallbacks_piece_replaces_the_first_readings_characters_in_it():
    first = reading_of("ABCDEFGHIJKLMNOP", unsure=7)
    spliced = splice(first, PIECE, reading_of("FGXIJ"))
    assert spliced is not None and spliced.text == "ABCDEFGXIJKLMNOP"
    assert spliced.chars == list(spliced.text) and len(spliced.spans) == len(spliced.text)
    # the piece's characters are placed in the line's crop, after the piece's left edge
    assert (spliced.spans[5:10, 0] >= PIECE.left).all() and spliced.spans[4, 0] == first.spans[4, 0]


def test_a_sliver_of_a_neighbour_at_the_pieces_edge_is_dropped_and_width_forms_match():
    first = reading_of("ABCDE：GHIJKLMNOP", unsure=7)
    spliced = splice(first, PIECE, reading_of("E:GXIJK"))  # slivers of E and K; a half-width colon
    assert spliced is not None and spliced.text == "ABCDE:GXIJKLMNOP"


@pytest.mark.parametrize("piece_text", ["QGXIJ", "FGXIQ", "XYFGXIJ", ""])
def test_anchors_that_do_not_come_back_send_the_whole_line_to_the_fallback(piece_text):
    assert splice(reading_of("ABCDEFGHIJKLMNOP", unsure=7), PIECE, reading_of(piece_text or " ")) is None


def test_the_candidate_pack_re_reads_pieces_and_keeps_the_students_characters_around_them():
    from ocr_build.trained_pack import build_trained_pack
    from ocr_engine.engine import OcrEngine
    from ocr_engine.packs import ModelPack
    from ocr_engine.preprocess import upright_line
    from ocr_engine.settings import Settings
    from tests.conftest import EVAL, eval_records

    lines = [upright_line(cv2.imread(str(EVAL / record["file"]), cv2.IMREAD_COLOR)) for record in eval_records("line")]
    pack = ModelPack.load(build_trained_pack("crnn-v6t-pieces", log=lambda _: None))
    recognizer = OcrEngine(pack=pack, settings=Settings.from_env(threads=1)).recognizer
    fallback = recognizer.fallback
    assert fallback is not None and recognizer.reread_rule is not None and recognizer.reread_rule.pieces
    read_by_fallback: list[np.ndarray] = []
    whole_read = fallback.read

    def spy(crops):
        read_by_fallback.extend(crops)
        return whole_read(crops)

    fallback.read = spy  # type: ignore[method-assign]
    readings = recognizer.read(lines)
    first = recognizer._read_once(lines)  # the student's own readings
    widths = {crop.shape[1] for crop in lines}
    pieces = [crop for crop in read_by_fallback if crop.shape[1] not in widths]
    assert pieces, "no doubted line was re-read in a piece"
    spliced = 0
    for own, kept in zip(first, readings):
        assert kept.text == "".join(kept.chars) and len(kept.chars) == len(kept.spans)
        if kept.text != own.text and kept.chars[:2] == own.chars[:2] and kept.chars[-2:] == own.chars[-2:]:
            spliced += 1
    assert spliced > 0
