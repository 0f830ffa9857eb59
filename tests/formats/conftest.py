"""What the renderer tests share: the engine's real reading of pictures of Chinese and
English text, and scanned-looking PDFs built in the test (pikepdf), checked with PDFium."""

import io
import subprocess

import numpy as np
import pikepdf
import pypdfium2 as pdfium
import pytest
from PIL import Image, ImageDraw, ImageFont

from tests.conftest import SAMPLES

CJK_FONT = "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc"  # Debian's fonts-wqy-microhei (scripts/test)
LINES = ["扫描文档 Scanned Document", "第二行中文 second line 42", "发票号码 Invoice No. 8675309"]


@pytest.fixture(scope="session")
def receipt(engine):
    """samples/receipt.png (Chinese and English on six lines) and the engine's reading of it."""
    data = (SAMPLES / "receipt.png").read_bytes()
    return data, engine.read(data)


def draw_lines(lines: list[str], size: tuple[int, int] = (900, 420), font_size: int = 38) -> Image.Image:
    image = Image.new("RGB", size, "white")
    draw = ImageDraw.Draw(image)
    font = ImageFont.truetype(CJK_FONT, font_size)
    for index, text in enumerate(lines):
        draw.text((40, 40 + index * 120), text, fill=(15, 15, 15), font=font)
    return image


def scan_pdf(image: Image.Image, media_box=(0, 0, 612, 792), crop_box=None, rotate: int = 0,
             inherited: bool = False) -> bytes:
    """A one-page PDF whose page, as a viewer shows it (the CropBox within the MediaBox,
    turned clockwise by /Rotate), is `image` upright: a scanner's output. With `inherited`,
    /MediaBox, /CropBox, /Rotate and /Resources sit on the page tree node, not the page."""
    x0, y0, x1, y1 = crop_box or media_box
    bw, bh = x1 - x0, y1 - y0
    # the image's unit square drawn turned counterclockwise by what /Rotate turns clockwise
    placement = {0: (bw, 0, 0, bh, x0, y0), 90: (0, bh, -bw, 0, x1, y0),
                 180: (-bw, 0, 0, -bh, x1, y1), 270: (0, -bh, bw, 0, x0, y1)}[rotate % 360]
    pdf = pikepdf.new()
    rgb = image.convert("RGB")
    xobject = pikepdf.Stream(pdf, rgb.tobytes(), Type=pikepdf.Name.XObject, Subtype=pikepdf.Name.Image,
                             Width=rgb.width, Height=rgb.height, ColorSpace=pikepdf.Name.DeviceRGB, BitsPerComponent=8)
    attributes = {"/MediaBox": pikepdf.Array(media_box),
                  "/Resources": pikepdf.Dictionary(XObject=pikepdf.Dictionary(Scan=xobject))}
    if crop_box:
        attributes["/CropBox"] = pikepdf.Array(crop_box)
    if rotate:
        attributes["/Rotate"] = rotate
    content = (" ".join(str(v) for v in placement) + " cm /Scan Do").encode()
    pdf.pages.append(pikepdf.Page(pikepdf.Dictionary(Type=pikepdf.Name.Page,
                                                     Contents=pikepdf.Stream(pdf, b"q " + content + b" Q"))))
    page = pdf.pages[0].obj  # set after the append, which moves inherited attributes onto the page
    for key in ("/MediaBox", "/Resources"):
        if key in page:
            del page[key]
    holder = pdf.Root.Pages if inherited else page
    for key, value in attributes.items():
        holder[key] = value
    out = io.BytesIO()
    pdf.save(out)
    data = out.getvalue()
    shown = render_with_pdfium(data, 0, *image.size)
    assert np.abs(shown.astype(int) - np.asarray(rgb).astype(int)).mean() < 6, "the fixture's page is not the image"
    return data


def render_with_pdfium(data: bytes, index: int, width: int, height: int) -> np.ndarray:
    """Page `index` as PDFium (the engine's PDF renderer) draws it at width x height pixels
    (RGB): exactly when the page's shape is the image's, else stretched to it."""
    page = pdfium.PdfDocument(data)[index]
    page_width, page_height = page.get_size()
    image = page.render(scale=width / page_width).to_pil().convert("RGB")
    if abs(image.height - height) > 1:
        image = image.resize((width, height), Image.BILINEAR)
    return np.asarray(image)[:height, :width]


def render_with_poppler(data: bytes, tmp_path, name: str, dpi: int = 100) -> list[np.ndarray]:
    """Every page as poppler's pdftoppm draws it (Debian's poppler-utils: another PDF engine)."""
    source = tmp_path / f"{name}.pdf"
    source.write_bytes(data)
    subprocess.run(["pdftoppm", "-r", str(dpi), "-png", str(source), str(tmp_path / name)], check=True, timeout=120)
    return [np.asarray(Image.open(p).convert("RGB")) for p in sorted(tmp_path.glob(f"{name}-*.png"))]
