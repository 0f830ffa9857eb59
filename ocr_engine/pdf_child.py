"""The PDF renderer's child process (ocr_engine.pdf_render starts it; not a module to import).

A hostile PDF (a form that draws itself, forms nested to draw 2^22 times) can make PDFium
take gigabytes and minutes on one page: here it does so under an address-space limit, in a
process of its own that the parent kills when a page runs out of time. Imports only the
standard library, numpy and pypdfium2.

Protocol, over stdin / stdout: the parent sends a JSON line of limits, then the PDF as an
8-byte big-endian length and the bytes; the child answers a JSON line, {"pages": n} or
{"error", "code"}. Then per page the parent sends "SIZE i" (answer {"size": [w, h]} in
points) or "RENDER i scale" (answer {"shape": [h, w, channels]} and the pixels)."""

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
            bitmap = page.render(scale=float(rest[0]), may_draw_forms=True)
            image = np.ascontiguousarray(bitmap.to_numpy())  # BGR or BGRx: the parent converts
            bitmap.close()
            answer({"shape": list(image.shape)}, image.tobytes())
        except pdfium.PdfiumError as exc:
            answer({"error": f"cannot render page {int(index) + 1}: {exc}"[:200], "code": "invalid_document"})
        finally:
            page.close()


if __name__ == "__main__":
    try:
        main()
    except MemoryError:
        sys.exit(3)  # the parent reads the closed pipe as over budget
