"""Which faces can draw a line: a line drawn in a face without one of its characters shows a
box (.notdef), or a gap, labelled as that character."""

from __future__ import annotations

from functools import lru_cache


@lru_cache(maxsize=256)  # every font of a set: set v3 has 60, and a miss parses a whole cmap
def _code_points(path: str, index: int, drawn_only: bool = False) -> frozenset[int]:
    """The characters a font has glyphs for: a line drawn in a font without one of its
    characters shows a box (.notdef) labelled as that character. With `drawn_only`, not
    those whose glyph is empty: some faces map characters to nothing (kiloji 1,030 of the
    texts' characters, some brush faces half their CJK), which a line would show as a gap
    labelled as the character. Sets before v4 count them, so their shards replay."""
    from fontTools.pens.boundsPen import BoundsPen
    from fontTools.ttLib import TTFont

    font = TTFont(path, fontNumber=index, lazy=True)
    cmap = font.getBestCmap()
    if not drawn_only:
        return frozenset(cmap)
    if "glyf" in font:  # TrueType: an empty glyph takes no bytes of glyf (its loca offsets are equal)
        offsets, order = font["loca"], {name: i for i, name in enumerate(font.getGlyphOrder())}
        return frozenset(code for code, name in cmap.items() if offsets[order[name] + 1] > offsets[order[name]])
    glyphs = font.getGlyphSet()  # CFF: draw each one
    drawn = set()
    for name in set(cmap.values()):
        pen = BoundsPen(glyphs)
        glyphs[name].draw(pen)
        if pen.bounds is not None:
            drawn.add(name)
    return frozenset(code for code, name in cmap.items() if name in drawn)


def fonts_covering(fonts: list[tuple[str, int]], text: str, drawn_only: bool = False) -> list[tuple[str, int]]:
    needed = {ord(ch) for ch in text if not ch.isspace()}
    return [font for font in fonts if needed <= _code_points(*font, drawn_only)]
