"""The PDF renderer's child process (ocr_engine.pdf_render starts it; not a module to import).

A hostile PDF (a form that draws itself, forms nested to draw 2^22 times) can make PDFium
take gigabytes and minutes on one page: here it does so under an address-space limit, in a
process of its own that the parent kills when a page runs out of time. Imports only the
standard library, numpy and pypdfium2.

Protocol, over stdin / stdout: the parent sends a JSON line of limits, then the PDF as an
8-byte big-endian length and the bytes; the child answers a JSON line, {"pages": n} or
{"error", "code"}. Then per page the parent sends "SIZE i" (answer {"size": [w, h]} in
points), "RENDER i scale" (answer {"shape": [h, w, channels]} and the pixels) or "TEXT i
scale" (answer the page's text layer, text_layer_of: its characters with their boxes in
the pixels RENDER would give at that scale, and what covers the page)."""

import json
import resource
import struct
import sys


def main() -> None:
    requests, answers = sys.stdin.buffer, sys.stdout.buffer
    limits = json.loads(requests.readline())
    memory = int(limits["memory_bytes"])
    resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    (size,) = struct.unpack(">Q", requests.read(8))
    data = requests.read(size)

    import numpy as np
    import pypdfium2 as pdfium

    def answer(message: dict, payload: bytes = b"") -> None:
        answers.write(json.dumps(message).encode() + b"\n" + payload)
        answers.flush()

    try:
        pdf = pdfium.PdfDocument(data)
    except pdfium.PdfiumError as exc:
        code = "encrypted_document" if "password" in str(exc).lower() else "invalid_document"
        return answer({"error": str(exc)[:200], "code": code})
    answer({"pages": len(pdf)})
    for line in requests:
        verb, index, *rest = line.decode().split()
        try:
            page = pdf[int(index)]
        except pdfium.PdfiumError as exc:  # a broken or looping page tree
            answer({"error": f"cannot read page {int(index) + 1}: {exc}"[:200], "code": "invalid_document"})
            continue
        try:
            if verb == "SIZE":
                answer({"size": list(page.get_size())})
                continue
            if verb == "TEXT":
                answer(text_layer_of(pdfium, page, float(rest[0])))
                continue
            bitmap = page.render(scale=float(rest[0]), may_draw_forms=True)
            image = np.ascontiguousarray(bitmap.to_numpy())  # BGR or BGRx: the parent converts
            bitmap.close()
            answer({"shape": list(image.shape)}, image.tobytes())
        except pdfium.PdfiumError as exc:
            answer({"error": f"cannot render page {int(index) + 1}: {exc}"[:200], "code": "invalid_document"})
        finally:
            page.close()


# More characters than a page of text holds (a dense page has ~5,000): the answer travels as JSON
MAX_TEXT_CHARS = 200_000
IMAGE, TEXT, INVISIBLE = 3, 1, 3  # FPDF_PAGEOBJ_IMAGE, FPDF_PAGEOBJ_TEXT, FPDF_TEXTRENDERMODE_INVISIBLE


def text_layer_of(pdfium, page, scale: float) -> dict:
    """{"size": [w, h] in pixels as RENDER draws the page at `scale`, "chars": [[c, x0, y0,
    x1, y1] or [c] for a character PDFium generated (a space, a line break)] in PDFium's
    order, "image_cover": the largest image's share of the page, "visible" / "invisible":
    whether it has text that is drawn / text in render mode 3 (an OCR layer)}."""
    import math

    raw = pdfium.raw
    width, height = math.ceil(page.get_width() * scale), math.ceil(page.get_height() * scale)
    to_pixels = pdfium.PdfPosConv(page, (0, 0, width, height, 0)).to_bitmap
    textpage = page.get_textpage()
    try:
        count = textpage.count_chars()
        if count > MAX_TEXT_CHARS:
            return {"error": f"the page has {count:,} characters of text", "code": "document_too_complex"}
        chars, pending = [], None
        for index in range(count):
            unit = raw.FPDFText_GetUnicode(textpage, index)
            if 0xD800 <= unit < 0xDC00:  # a UTF-16 high surrogate: the next unit completes it
                pending = unit
                continue
            if pending is not None and 0xDC00 <= unit < 0xE000:
                unit = 0x10000 + ((pending - 0xD800) << 10) + (unit - 0xDC00)
            pending = None
            char = chr(unit) if unit < 0x110000 and not 0xD800 <= unit < 0xE000 else "\ufffd"  # no lone surrogate
            if raw.FPDFText_IsGenerated(textpage, index) == 1:
                chars.append([char])
                continue
            # the loose box spans the font's ascent to descent, as a detected line's box does
            left, bottom, right, top = textpage.get_charbox(index, loose=True)
            corners = [to_pixels(x, y) for x in (left, right) for y in (bottom, top)]
            xs, ys = [c[0] for c in corners], [c[1] for c in corners]
            chars.append([char, min(xs), min(ys), max(xs), max(ys)])
    finally:
        textpage.close()
    area = max(page.get_width() * page.get_height(), 1e-6)
    image_cover, visible, invisible = 0.0, False, False
    for obj in page.get_objects(filter=(IMAGE, TEXT)):
        if obj.type == IMAGE:
            left, bottom, right, top = obj.get_bounds()
            image_cover = max(image_cover, min(1.0, (right - left) * (top - bottom) / area))
        elif raw.FPDFTextObj_GetTextRenderMode(obj) == INVISIBLE:
            invisible = True
        else:
            visible = True
    return {"size": [width, height], "chars": chars, "image_cover": image_cover,
            "visible": visible, "invisible": invisible}


if __name__ == "__main__":
    try:
        main()
    except MemoryError:
        sys.exit(3)  # the parent reads the closed pipe as over budget
