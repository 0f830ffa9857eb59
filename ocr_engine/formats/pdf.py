"""Searchable PDF: the source document (or the image as a PDF page, image_pdf.py) with an
invisible text layer, one text object per line laid over the line's box, so that a PDF
viewer selects, searches and copies the text where it is seen.

The text layer is what Tesseract and OCRmyPDF write: text render mode 3 (neither filled nor
stroked) in a glyphless font, a Type0 font with Identity-H encoding over a CIDFontType2
whose glyphs paint nothing (glyphless.ttf, scripts/make_glyphless_font.py). The font file
knows no characters; the PDF gives each code its character (the ToUnicode map) and its
width (/W: 1 em for a CJK character, half for the rest), and each line is stretched with
Tz to span its box, so a selection covers the characters it says it does. Codes are
numbered per document over the characters it uses, so any Unicode character, beyond the
BMP too, has its code.

pikepdf (qpdf) edits the source: the original page content stays byte for byte, wrapped in
q/Q so that whatever state it leaves cannot move the text; the text layer is a content
stream added after it."""

from __future__ import annotations

import io
import zlib
from collections.abc import Iterable
from pathlib import Path

import pikepdf
from pikepdf import Array, Dictionary, Name

from ..errors import EncryptedDocument, InvalidDocument, UnsupportedMediaType
from ..result import OcrResult, Page
from ..source import sniff_format
from .image_pdf import image_document
from .lines import LineFrame, advance

FONT_FILE = Path(__file__).with_name("glyphless.ttf")
FONT_NAME = Name("/OcrGlyphless")
EM = 1000  # glyph space units per em
HALF_EM_WIDTH = EM // 2  # a width step (lines.advance counts half-ems)
ASCENT, DESCENT = 0.8, -0.2  # em fractions (the font's and its descriptor's): the em box spans a line's box
DEFAULT_PAGE_BOX = (0.0, 0.0, 612.0, 792.0)  # PDFium's, for a page without a usable MediaBox
CMAP_BLOCK = 100  # entries per bfchar block (the CMap format's limit)
NARROW_GLYPH, WIDE_GLYPH = b"\x00\x01", b"\x00\x02"  # glyphless.ttf's "blank" and "wide"


def render_pdf(result: OcrResult, source: bytes, *, source_name: str | None = None, model: str | None = None) -> bytes:
    """The source (a PDF or an image the engine reads) with `result`'s text laid over each
    line; `result`'s pages are matched to the document's by their numbers."""
    pdf = _open(source)
    try:
        if any(not 1 <= page.number <= len(pdf.pages) for page in result.pages):
            raise ValueError(f"the result has pages the {len(pdf.pages)}-page source does not")
        font = GlyphlessFont(pdf, (line.text for line in result.lines))
        for page in result.pages:
            add_text_layer(pdf.pages[page.number - 1], page, font)
        out = io.BytesIO()
        pdf.save(out, encryption=bool(pdf.is_encrypted))  # an encrypted source keeps its encryption
        return out.getvalue()
    finally:
        pdf.close()


def _open(source: bytes) -> pikepdf.Pdf:
    kind = sniff_format(source)
    if kind is None:
        raise UnsupportedMediaType("a searchable PDF is made from a PDF or an image")
    if kind != "pdf":
        return image_document(source)
    try:
        return pikepdf.open(io.BytesIO(source))
    except pikepdf.PasswordError:
        raise EncryptedDocument("the PDF needs a password") from None
    except pikepdf.PdfError as exc:
        raise InvalidDocument(f"cannot add a text layer to the PDF: {str(exc)[:200]}") from None


class GlyphlessFont:
    """The text layer's font, one per document: a code per character used (1, 2, ...)."""

    def __init__(self, pdf: pikepdf.Pdf, texts: Iterable[str]):
        characters = sorted({c for text in texts for c in text})
        self.codes = {c: index for index, c in enumerate(characters, start=1)}
        self.widths = {c: advance(c) * HALF_EM_WIDTH for c in characters}
        font_file = pikepdf.Stream(pdf, FONT_FILE.read_bytes())
        font_file.Length1 = len(FONT_FILE.read_bytes())  # TrueType font files state their own length
        descriptor = pdf.make_indirect(Dictionary(
            Type=Name.FontDescriptor, FontName=FONT_NAME, Flags=4,  # symbolic: no standard encoding applies
            FontBBox=[0, round(DESCENT * EM), EM, round(ASCENT * EM)], ItalicAngle=0,
            Ascent=round(ASCENT * EM), Descent=round(DESCENT * EM), CapHeight=round(ASCENT * EM), StemV=80,
            FontFile2=font_file,
        ))
        # a code draws glyph 2 (an em wide) for a wide character, else glyph 1 (half an em);
        # none draws 0, the .notdef, which a viewer may box
        glyphs = b"".join(WIDE_GLYPH if advance(c) == 2 else NARROW_GLYPH for c in characters)
        glyph_map = pikepdf.Stream(pdf, zlib.compress(b"\x00\x00" + glyphs))
        glyph_map.Filter = Name.FlateDecode
        cid_font = pdf.make_indirect(Dictionary(
            Type=Name.Font, Subtype=Name.CIDFontType2, BaseFont=FONT_NAME,
            CIDSystemInfo=Dictionary(Registry="Adobe", Ordering="Identity", Supplement=0),
            FontDescriptor=descriptor, DW=HALF_EM_WIDTH, CIDToGIDMap=glyph_map,
            W=Array([1, Array([self.widths[c] for c in characters])]) if characters else Array([]),
        ))
        self.font = pdf.make_indirect(Dictionary(
            Type=Name.Font, Subtype=Name.Type0, BaseFont=FONT_NAME, Encoding=Name("/Identity-H"),
            DescendantFonts=[cid_font], ToUnicode=pikepdf.Stream(pdf, _to_unicode(characters)),
        ))

    def encode(self, text: str) -> bytes:
        return b"".join(self.codes[c].to_bytes(2, "big") for c in text)

    def width(self, text: str) -> int:
        """In glyph space units (EM to the em)."""
        return sum(self.widths[c] for c in text)


def _to_unicode(characters: list[str]) -> bytes:
    """The CMap that gives each code its character (UTF-16BE, a surrogate pair beyond the BMP)."""
    entries = [f"<{code:04X}> <{c.encode('utf-16-be').hex().upper()}>" for code, c in enumerate(characters, start=1)]
    blocks = []
    for start in range(0, len(entries), CMAP_BLOCK):
        block = entries[start : start + CMAP_BLOCK]
        blocks.append(f"{len(block)} beginbfchar\n" + "\n".join(block) + "\nendbfchar")
    return "\n".join([
        "/CIDInit /ProcSet findresource begin", "12 dict begin", "begincmap",
        "/CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def",
        "/CMapName /Adobe-Identity-UCS def", "/CMapType 2 def",
        "1 begincodespacerange", "<0000> <FFFF>", "endcodespacerange",
        *blocks,
        "endcmap", "CMapName currentdict /CMap defineresource pop", "end", "end", "",
    ]).encode("ascii")


def add_text_layer(pdf_page: pikepdf.Page, page: Page, font: GlyphlessFont) -> None:
    """`page`'s lines as invisible text on `pdf_page`, whose rendering the engine read."""
    if page.width <= 0 or page.height <= 0:
        return
    font_name = _add_font(pdf_page.obj, font.font)
    operations = [b"q", _numbers(*pixels_to_user_space(pdf_page.obj, page.width, page.height)) + b" cm",
                  b"BT", b"3 Tr"]
    for line in page.lines:
        frame = LineFrame.of(line)
        natural_width = font.width(line.text) / EM * frame.height
        if frame.length < 1 or frame.height < 1 or natural_width <= 0:
            continue
        # the baseline sits DESCENT em above the box's bottom edge, so the em box covers the box
        lift = -DESCENT * frame.height
        origin = (frame.origin[0] + frame.up[0] * lift, frame.origin[1] + frame.up[1] * lift)
        operations += [
            str(font_name).encode("ascii") + b" " + _numbers(frame.height) + b" Tf",
            _numbers(*frame.along, *frame.up, *origin) + b" Tm",
            _numbers(100 * frame.length / natural_width) + b" Tz",
            b"<" + font.encode(line.text).hex().upper().encode("ascii") + b"> Tj",
        ]
    operations += [b"ET", b"Q"]
    pdf_page.contents_add(b"q\n", prepend=True)
    pdf_page.contents_add(b"Q\n" + b"\n".join(operations) + b"\n")


def pixels_to_user_space(page: Dictionary, width_px: int, height_px: int) -> tuple[float, ...]:
    """The matrix (a b c d e f) from the engine's pixels of `page` (x right, y down, the page
    as PDFium renders it: the CropBox within the MediaBox, turned by /Rotate) to the page's
    user space (y up, unturned)."""
    media = _box(_inherited(page, "/MediaBox")) or DEFAULT_PAGE_BOX
    crop = _box(_inherited(page, "/CropBox"))
    x0, y0, x1, y1 = _intersection(media, crop) if crop else media
    quarter_turns = _quarter_turns(_inherited(page, "/Rotate"))
    shown_width, shown_height = (x1 - x0, y1 - y0) if quarter_turns % 2 == 0 else (y1 - y0, x1 - x0)
    sx, sy = shown_width / width_px, shown_height / height_px
    return {  # /Rotate turns the page clockwise as shown
        0: (sx, 0.0, 0.0, -sy, x0, y1),
        1: (0.0, sx, sy, 0.0, x0, y0),
        2: (-sx, 0.0, 0.0, sy, x1, y0),
        3: (0.0, -sx, -sy, 0.0, x1, y1),
    }[quarter_turns]


def _inherited(page: Dictionary, key: str):
    """A page attribute, from the page or the nearest page tree node above it that has it."""
    node: pikepdf.Object | None = page
    seen: set[tuple[int, int]] = set()
    while isinstance(node, Dictionary) and len(seen) < 64:
        if key in node:
            return node[key]
        if node.is_indirect:
            if node.objgen in seen:
                break  # a loop in the page tree
            seen.add(node.objgen)
        node = node.get("/Parent")
    return None


def _box(value) -> tuple[float, float, float, float] | None:
    """A rectangle, normalised; None where it is missing or not four numbers."""
    try:
        left, bottom, right, top = (float(v) for v in value)
    except (TypeError, ValueError):
        return None
    left, right = sorted((left, right))
    bottom, top = sorted((bottom, top))
    return (left, bottom, right, top) if right > left and top > bottom else None


def _intersection(a, b) -> tuple[float, float, float, float]:
    box = _box((max(a[0], b[0]), max(a[1], b[1]), min(a[2], b[2]), min(a[3], b[3])))
    return box or a  # PDFium keeps the MediaBox alone when the two do not meet


def _quarter_turns(value) -> int:
    """/Rotate as PDFium reads it: whole quarter turns (truncated), clockwise, modulo 4."""
    try:
        degrees = int(float(value)) if value is not None else 0
    except (TypeError, ValueError):
        return 0
    turns = abs(degrees) // 90
    return (-turns if degrees < 0 else turns) % 4


def _add_font(page: Dictionary, font: Dictionary) -> Name:
    """`font` in the page's own font resources, under a name the page does not use. The
    page gets its own copy of /Resources and /Font (they may be inherited or shared with
    other pages, which must not change)."""
    resources = _inherited(page, "/Resources")
    resources = Dictionary(dict(resources.items())) if isinstance(resources, Dictionary) else Dictionary()
    fonts = resources.get("/Font")
    fonts = Dictionary(dict(fonts.items())) if isinstance(fonts, Dictionary) else Dictionary()
    name, suffix = "/OcrText", 0
    while name in fonts:
        suffix += 1
        name = f"/OcrText{suffix}"
    fonts[name] = font
    resources.Font = fonts
    page.Resources = resources
    return Name(name)


def _numbers(*values: float) -> bytes:
    """Numbers as PDF writes them: fixed point, never an exponent."""
    return " ".join(f"{v:.4f}".rstrip("0").rstrip(".") if v else "0" for v in values).encode("ascii")
