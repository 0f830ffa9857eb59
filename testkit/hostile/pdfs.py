"""Hostile PDFs: page trees that loop or lie, forms that draw themselves, fonts of noise,
scripts, encryption, wrong offsets, content that inflates."""

from __future__ import annotations

import io
import zipfile
import zlib
from collections.abc import Callable

from .blocks import line, pdf, save, stream


def form(resources: bytes, content: bytes) -> bytes:
    return (b"<</Type/XObject/Subtype/Form/BBox[0 0 200 200]/Resources" + resources
            + f"/Length {len(content)}>>stream\n".encode() + content + b"\nendstream")


PAGE_TREE = [b"<</Type/Catalog/Pages 2 0 R>>", b"<</Type/Pages/Kids[3 0 R]/Count 1>>",
             b"<</Type/Page/Parent 2 0 R/MediaBox[0 0 200 200]/Resources<</XObject<</X 5 0 R>>>>/Contents 4 0 R>>",
             b"<</Length 5>>stream\n/X Do\nendstream"]
SELF_DRAWING = pdf(PAGE_TREE + [form(b"<</XObject<</X 5 0 R>>>>", b"/X Do /X Do")])
NESTED = pdf(PAGE_TREE + [form(f"<</XObject<</X {6 + k} 0 R>>>>".encode(), b"/X Do /X Do") for k in range(21)]
             + [form(b"<<>>", b"0 0 10 10 re f")])


def pdf_page_tree_loop() -> bytes:
    return pdf([b"<</Type/Catalog/Pages 2 0 R>>", b"<</Type/Pages/Kids[3 0 R 2 0 R]/Count 2>>",
                b"<</Type/Page/Parent 2 0 R/MediaBox[0 0 200 100]>>"])


def pdf_kid_that_is_a_number() -> bytes:
    return pdf([b"<</Type/Catalog/Pages 2 0 R>>", b"<</Type/Pages/Kids[3 0 R]/Count 1>>", b"42"])


def pdf_page_count_that_lies() -> bytes:
    return pdf([b"<</Type/Catalog/Pages 2 0 R>>", b"<</Type/Pages/Kids[3 0 R]/Count 2000000000>>",
                b"<</Type/Page/Parent 2 0 R/MediaBox[0 0 200 100]>>"])


def pdf_page_tree_nested(depth: int) -> bytes:
    """Page-tree nodes nested `depth` deep above the one page."""
    nodes = [f"<</Type/Pages/Kids[{k + 3} 0 R]/Count 1>>".encode() for k in range(depth)]
    page = f"<</Type/Page/Parent {depth + 1} 0 R/MediaBox[0 0 200 100]>>".encode()
    return pdf([b"<</Type/Catalog/Pages 2 0 R>>", *nodes, page])


def pdf_object_referring_to_itself() -> bytes:
    """The page's resources are object 4, and object 4 is a reference to object 4."""
    return pdf([b"<</Type/Catalog/Pages 2 0 R>>", b"<</Type/Pages/Kids[3 0 R]/Count 1>>",
                b"<</Type/Page/Parent 2 0 R/MediaBox[0 0 200 100]/Resources 4 0 R/Contents 5 0 R>>",
                b"4 0 R", stream(b"/X Do Q")])


def pdf_font_program_of_garbage() -> bytes:
    """Text drawn with an embedded TrueType program of 4 KB of noise (fonts are parsed by FreeType)."""
    noise = bytes((k * 7919 + 13) % 256 for k in range(4096))
    return pdf([b"<</Type/Catalog/Pages 2 0 R>>", b"<</Type/Pages/Kids[3 0 R]/Count 1>>",
                b"<</Type/Page/Parent 2 0 R/MediaBox[0 0 300 100]/Resources<</Font<</F1 5 0 R>>>>/Contents 4 0 R>>",
                stream(b"BT /F1 24 Tf 10 40 Td (OCR 2026) Tj ET"),
                b"<</Type/Font/Subtype/TrueType/BaseFont/Noise/FirstChar 32/LastChar 126/FontDescriptor 6 0 R>>",
                b"<</Type/FontDescriptor/FontName/Noise/Flags 32/FontBBox[0 0 1000 1000]/ItalicAngle 0/Ascent 800"
                b"/Descent -200/CapHeight 700/StemV 80/FontFile2 7 0 R>>",
                stream(noise)])


def pdf_without_pages() -> bytes:
    return pdf([b"<</Type/Catalog/Pages 2 0 R>>", b"<</Type/Pages/Kids[]/Count 0>>"])


def pdf_of_line(**params) -> bytes:
    return save(line(), "PDF", resolution=100, **params)


def pikepdf_edit(edit: Callable) -> bytes:
    """The PDF of samples/line.png as `edit(document, pikepdf)` leaves it."""
    import pikepdf

    document = pikepdf.open(io.BytesIO(pdf_of_line()))
    edit(document, pikepdf)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def pdf_with_script_and_launch_actions() -> bytes:
    """JavaScript on open and a Launch action on the page's link: PDFium renders, never runs them."""

    def edit(document, pikepdf):
        document.Root.OpenAction = pikepdf.Dictionary(S=pikepdf.Name.JavaScript, JS=pikepdf.String("app.alert('hi');"))
        launch = pikepdf.Dictionary(S=pikepdf.Name.Launch, F=pikepdf.String("/bin/sh"))
        link = pikepdf.Dictionary(Type=pikepdf.Name.Annot, Subtype=pikepdf.Name.Link, Rect=[0, 0, 100, 20], A=launch)
        document.pages[0].obj.Annots = document.make_indirect(pikepdf.Array([link]))
        document.pages[0].obj.AA = pikepdf.Dictionary(O=launch)

    return pikepdf_edit(edit)


def pdf_with_media_box(box: list[float]) -> Callable[[], bytes]:
    def make() -> bytes:
        def edit(document, pikepdf):
            document.pages[0].obj.MediaBox = pikepdf.Array(box)

        return pikepdf_edit(edit)

    return make


def pdf_encrypted_for_its_owner_only() -> bytes:
    """An empty user password: anyone may open it (only editing is restricted)."""
    import pikepdf

    document = pikepdf.open(io.BytesIO(pdf_of_line()))
    buffer = io.BytesIO()
    document.save(buffer, encryption=pikepdf.Encryption(owner="owner-secret", user=""))
    return buffer.getvalue()


def pdf_then_zip() -> bytes:
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as z:
        z.writestr("readme.txt", "a zip archive after the PDF's end")
    return pdf_of_line() + archive.getvalue()


def zip_holding_a_pdf() -> bytes:
    """A stored (uncompressed) ZIP entry: the PDF's header is within the first 1,024 bytes,
    where PDF readers look for it."""
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w", compression=zipfile.ZIP_STORED) as z:
        z.writestr("doc.pdf", pdf_of_line())
    return archive.getvalue()


def pdf_with_wrong_xref_offsets() -> bytes:
    data = pdf_of_line()
    start = data.rindex(b"startxref")
    return data[:start] + b"startxref\n999999\n%%EOF\n"


def pdf_image_claiming(width: int, height: int) -> bytes:
    """A page that draws an image XObject whose dictionary claims width x height pixels,
    with 16 bytes of data."""
    image = stream(b"\0" * 16, f"/Type/XObject/Subtype/Image/Width {width}/Height {height}"
                                 "/ColorSpace/DeviceGray/BitsPerComponent 8".encode())
    return pdf([b"<</Type/Catalog/Pages 2 0 R>>", b"<</Type/Pages/Kids[3 0 R]/Count 1>>",
                b"<</Type/Page/Parent 2 0 R/MediaBox[0 0 200 200]/Resources<</XObject<</I 5 0 R>>>>/Contents 4 0 R>>",
                stream(b"q 200 0 0 200 0 0 cm /I Do Q"), image])


def pdf_with_content(content: bytes, compress: bool = False) -> bytes:
    contents = stream(zlib.compress(content, 9), b"/Filter/FlateDecode") if compress else stream(content)
    return pdf([b"<</Type/Catalog/Pages 2 0 R>>", b"<</Type/Pages/Kids[3 0 R]/Count 1>>",
                b"<</Type/Page/Parent 2 0 R/MediaBox[0 0 200 200]/Contents 4 0 R>>", contents])

