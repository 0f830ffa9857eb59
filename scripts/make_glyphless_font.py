#!/usr/bin/env python3
"""Writes ocr_engine/formats/glyphless.ttf: the font of the searchable PDF's invisible text
layer. Its glyphs draw nothing: the text is never painted (render mode 3), only selected,
searched and copied, so two glyphs serve every character, one half an em wide and one a
full em (CJK); the PDF's /W array gives each character its width and its ToUnicode map its
meaning (ocr_engine/formats/pdf.py).

Each glyph is one zero-area contour, a diagonal of its em box, not an empty outline: PDFium
(Chrome's viewer, and the engine's renderer) finds no text in a turned line whose glyphs
have no box at all, so the text of a page with /Rotate 90 could not be selected.

Run with fontTools installed (the `test` extra): `.venv/bin/python scripts/make_glyphless_font.py`.
The output is byte-for-byte reproducible (fixed timestamps): tests/formats/test_pdf.py
rebuilds it and compares with the committed file."""

from __future__ import annotations

import io
import sys
from pathlib import Path

FONT_PATH = Path(__file__).resolve().parent.parent / "ocr_engine" / "formats" / "glyphless.ttf"
FAMILY = "OcrGlyphless"
UNITS_PER_EM = 1000
ASCENT, DESCENT = 800, -200  # the PDF's FontDescriptor says the same: a line's box is 1 em tall
FIXED_TIMESTAMP = 2_082_844_800  # 1970-01-01 in TrueType's 1904 epoch: no build time in the bytes


def build_font() -> bytes:
    from fontTools.fontBuilder import FontBuilder
    from fontTools.pens.ttGlyphPen import TTGlyphPen

    advances = {".notdef": UNITS_PER_EM // 2, "blank": UNITS_PER_EM // 2, "wide": UNITS_PER_EM}
    builder = FontBuilder(UNITS_PER_EM, isTTF=True)
    builder.setupGlyphOrder(list(advances))
    builder.setupCharacterMap({0x20: "blank", 0x3000: "wide"})  # the PDF maps codes to glyphs itself (CIDToGIDMap)
    builder.setupGlyf({name: _diagonal(advance) if name != ".notdef" else TTGlyphPen(None).glyph()
                       for name, advance in advances.items()})
    builder.setupHorizontalMetrics({name: (advance, 0) for name, advance in advances.items()})
    builder.setupHorizontalHeader(ascent=ASCENT, descent=DESCENT)
    builder.setupNameTable({"familyName": FAMILY, "styleName": "Regular"})
    builder.setupOS2(sTypoAscender=ASCENT, sTypoDescender=DESCENT, usWinAscent=ASCENT, usWinDescent=-DESCENT)
    builder.setupPost()
    builder.updateHead(created=FIXED_TIMESTAMP, modified=FIXED_TIMESTAMP)
    builder.font.recalcTimestamp = False
    out = io.BytesIO()
    builder.save(out)
    return out.getvalue()


def _diagonal(advance: int):
    """A closed contour from the em box's bottom-left to its top-right and back: a box for
    the glyph, no area to paint."""
    from fontTools.pens.ttGlyphPen import TTGlyphPen

    pen = TTGlyphPen(None)
    pen.moveTo((0, DESCENT))
    pen.lineTo((advance, ASCENT))
    pen.closePath()
    return pen.glyph()


if __name__ == "__main__":
    FONT_PATH.write_bytes(build_font())
    print(f"wrote {FONT_PATH} ({FONT_PATH.stat().st_size} bytes)", file=sys.stderr)
