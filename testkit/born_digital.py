"""Born-digital PDFs made for the text layer's tests and benchmark (pikepdf): pages whose
text is PDF text, in a standard font PDFium draws (Helvetica, Latin-1) or in a Type0 font
whose ToUnicode map gives any character (the searchable PDF's glyphless font: it draws
nothing, so what PDFium reads is exactly what the map says), optionally over a full-page
image (a scan) and in render mode 3 (an invisible OCR layer)."""

from __future__ import annotations

import io
import zlib

import pikepdf
from PIL import Image

from ocr_engine.formats.pdf import GlyphlessFont

PAGE = (0, 0, 612, 792)
MARGIN, SIZE, LEADING = 72, 14, 24  # points


def _literal(text: str) -> bytes:
    data = text.encode("latin-1")
    return b"(" + data.replace(b"\\", b"\\\\").replace(b"(", b"\\(").replace(b")", b"\\)") + b")"


def born_digital_pdf(pages: list[list[str]], unicode_font: bool = False, invisible: bool = False,
                     scans: list[Image.Image | None] | None = None) -> bytes:
    """A PDF with one page per entry of `pages`, its lines from the top-left margin down.
    `unicode_font`: the glyphless Type0 font (any character) instead of Helvetica (Latin-1);
    `invisible`: the text in render mode 3; `scans`: a page's full-page image under its text."""
    pdf = pikepdf.new()
    font = GlyphlessFont(pdf, (line for lines in pages for line in lines)) if unicode_font else None
    helvetica = pikepdf.Dictionary(Type=pikepdf.Name.Font, Subtype=pikepdf.Name.Type1,
                                   BaseFont=pikepdf.Name.Helvetica, Encoding=pikepdf.Name.WinAnsiEncoding)
    for number, lines in enumerate(pages):
        resources = pikepdf.Dictionary(Font=pikepdf.Dictionary(F1=font.font if font else helvetica))
        operations = []
        scan = scans[number] if scans else None
        if scan is not None:
            rgb = scan.convert("RGB")
            resources.XObject = pikepdf.Dictionary(Scan=pikepdf.Stream(
                pdf, zlib.compress(rgb.tobytes()), Filter=pikepdf.Name.FlateDecode, Type=pikepdf.Name.XObject,
                Subtype=pikepdf.Name.Image, Width=rgb.width,
                Height=rgb.height, ColorSpace=pikepdf.Name.DeviceRGB, BitsPerComponent=8))
            operations.append(f"q {PAGE[2]} 0 0 {PAGE[3]} 0 0 cm /Scan Do Q".encode())
        operations += [b"BT", f"/F1 {SIZE} Tf {3 if invisible else 0} Tr".encode()]
        for index, line in enumerate(lines):
            operations.append(f"1 0 0 1 {MARGIN} {PAGE[3] - MARGIN - index * LEADING} Tm".encode())
            shown = b"<" + font.encode(line).hex().upper().encode() + b">" if font else _literal(line)
            operations.append(shown + b" Tj")
        operations.append(b"ET")
        page = pikepdf.Dictionary(Type=pikepdf.Name.Page, MediaBox=pikepdf.Array(PAGE), Resources=resources,
                                  Contents=pikepdf.Stream(pdf, b"\n".join(operations)))
        pdf.pages.append(pikepdf.Page(page))
    out = io.BytesIO()
    pdf.save(out)
    return out.getvalue()
