"""An image as a PDF document, one page per frame (a multi-page TIFF gives several), each
page showing the pixels the engine read, in the orientation it read them, so that the
engine's boxes land where the text is.

A JPEG goes in as it is (DCTDecode: not decoded, not re-encoded), turned by the placement
matrix when its EXIF orientation asks; every other image is decoded the engine's way
(io.py: EXIF turn, alpha flattened, 16-bit scaled) and stored losslessly (Flate), bilevel
and grey images in their own depth. A page measures the image at its resolution (DPI) when
the file states one, else at DEFAULT_DPI."""

from __future__ import annotations

import io
import zlib
from dataclasses import dataclass

import pikepdf
from pikepdf import Dictionary, Name
from PIL import Image

from ..errors import InvalidImage
from ..pixels import DECODE_ERRORS, _upright, pil_to_bgr
from ..source import sniff_format

DEFAULT_DPI = 96.0  # a CSS pixel: a screenshot prints at its size on screen
MAX_PAGE_SIDE_PT = 14_400.0  # 200 inches: the largest page Acrobat opens
EXIF_ORIENTATION = 0x0112
JPEG_AS_IS_MODES = {"L": Name.DeviceGray, "RGB": Name.DeviceRGB}  # CMYK JPEGs need Adobe's inversion: decoded


@dataclass(frozen=True)
class PlacedImage:
    xobject: pikepdf.Stream
    width: int  # pixels, upright: the engine's page size
    height: int
    dpi: tuple[float, float]
    placement: tuple[float, ...]  # matrix from the image's unit square to upright pixels (y down)


def image_document(source: bytes) -> pikepdf.Pdf:
    pdf = pikepdf.new()
    kind = sniff_format(source)
    assert kind is not None  # the engine has read it: an image of a kind it knows
    try:
        image = Image.open(io.BytesIO(source), formats=[kind.upper()])
        with image:
            if kind == "jpeg" and image.mode in JPEG_AS_IS_MODES:
                images = [_jpeg_as_is(pdf, image, source)]
            else:
                images = [_decoded(pdf, image, index) for index in range(getattr(image, "n_frames", 1))]
    except DECODE_ERRORS as exc:
        raise InvalidImage(f"cannot read the image for the PDF: {str(exc)[:200]}") from None
    for placed in images:
        _add_page(pdf, placed)
    return pdf


def _jpeg_as_is(pdf: pikepdf.Pdf, image: Image.Image, source: bytes) -> PlacedImage:
    stored_width, stored_height = image.size
    orientation = _orientation(image)
    xobject = pikepdf.Stream(pdf, source, Type=Name.XObject, Subtype=Name.Image, Width=stored_width,
                             Height=stored_height, ColorSpace=JPEG_AS_IS_MODES[image.mode], BitsPerComponent=8,
                             Filter=Name.DCTDecode)
    dpi = _dpi(image)
    if orientation >= 5:  # a quarter turn: what was across is now down
        stored_width, stored_height, dpi = stored_height, stored_width, dpi[::-1]
    placement = _oriented_placement(orientation, *image.size)
    return PlacedImage(xobject, stored_width, stored_height, dpi, placement)


def _decoded(pdf: pikepdf.Pdf, image: Image.Image, index: int) -> PlacedImage:
    image.seek(index)
    image.load()
    upright = _upright(image)
    width, height = upright.size
    plain = "transparency" not in upright.info
    if upright.mode == "1" and plain:
        pixels, color_space, bits = upright.tobytes(), Name.DeviceGray, 1  # 1 = white, as in PDF's DeviceGray
    elif upright.mode == "L" and plain:
        pixels, color_space, bits = upright.tobytes(), Name.DeviceGray, 8
    else:
        pixels, color_space, bits = pil_to_bgr(upright)[..., ::-1].tobytes(), Name.DeviceRGB, 8
    xobject = pikepdf.Stream(pdf, zlib.compress(pixels, 6), Type=Name.XObject, Subtype=Name.Image, Width=width,
                             Height=height, ColorSpace=color_space, BitsPerComponent=bits, Filter=Name.FlateDecode)
    dpi = _dpi(image)[::-1] if _orientation(image) >= 5 else _dpi(image)  # a quarter turn swaps the axes
    return PlacedImage(xobject, width, height, dpi, (width, 0.0, 0.0, -height, 0.0, height))


def _add_page(pdf: pikepdf.Pdf, placed: PlacedImage) -> None:
    x_scale, y_scale = 72.0 / placed.dpi[0], 72.0 / placed.dpi[1]  # points per pixel
    # a page past the largest a viewer opens is shrunk to fit (its resolution raised)
    shrink = min(1.0, MAX_PAGE_SIDE_PT / max(placed.width * x_scale, placed.height * y_scale))
    x_scale, y_scale = x_scale * shrink, y_scale * shrink
    width_pt, height_pt = placed.width * x_scale, placed.height * y_scale
    to_page = f"{x_scale:.6f} 0 0 {-y_scale:.6f} 0 {height_pt:.6f} cm"  # upright pixels (y down) to points
    placement = " ".join(f"{v:.6f}" for v in placed.placement) + " cm"
    content = f"q {to_page} {placement} /Im0 Do Q\n".encode("ascii")
    page = Dictionary(
        Type=Name.Page, MediaBox=[0, 0, round(width_pt, 4), round(height_pt, 4)],
        Resources=Dictionary(XObject=Dictionary(Im0=placed.xobject)),
        Contents=pikepdf.Stream(pdf, content),
    )
    pdf.pages.append(pikepdf.Page(page))


def _orientation(image: Image.Image) -> int:
    """The EXIF orientation the engine's turn (pixels._upright, Pillow's exif_transpose) obeys."""
    try:
        orientation = image.getexif().get(EXIF_ORIENTATION, 1)
    except DECODE_ERRORS:
        return 1
    return orientation if orientation in range(1, 9) else 1


def _oriented_placement(orientation: int, width: int, height: int) -> tuple[float, ...]:
    """The matrix that shows a stored image as its EXIF orientation says: from the image's
    unit square (u right, v up; the first stored row at v = 1) to upright pixels (y down)."""
    turned = {  # a stored pixel (x, y) at its place on the upright image, per orientation
        1: lambda x, y: (x, y),
        2: lambda x, y: (width - x, y),
        3: lambda x, y: (width - x, height - y),
        4: lambda x, y: (x, height - y),
        5: lambda x, y: (y, x),
        6: lambda x, y: (height - y, x),
        7: lambda x, y: (height - y, width - x),
        8: lambda x, y: (y, width - x),
    }[orientation]
    origin = turned(0.0, float(height))  # (u, v) = (0, 0) is the stored image's bottom-left
    right, top = turned(float(width), float(height)), turned(0.0, 0.0)
    return (right[0] - origin[0], right[1] - origin[1], top[0] - origin[0], top[1] - origin[1], *origin)


def _dpi(image: Image.Image) -> tuple[float, float]:
    try:
        x_dpi, y_dpi = (float(v) for v in image.info.get("dpi", ()))
    except (TypeError, ValueError):
        return DEFAULT_DPI, DEFAULT_DPI
    if not (1.0 <= x_dpi <= 10_000.0 and 1.0 <= y_dpi <= 10_000.0):
        return DEFAULT_DPI, DEFAULT_DPI
    return x_dpi, y_dpi
