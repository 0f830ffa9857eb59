"""PDF pages rendered in a child process under a memory limit and a time limit per page
(ocr_engine/pdf_child.py), so that a hostile PDF costs a typed error, never the process:
an 815-byte PDF whose form draws itself took PDFium past 6 GiB in 14 s, and a Lambda
that runs out of memory takes every request in its sandbox with it. One child per
document: PDFium is not thread-safe, and documents read in parallel stay apart."""

from __future__ import annotations

import json
import os
import select
import struct
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

from .errors import DocumentTooComplex, EncryptedDocument, InvalidDocument

CHILD = Path(__file__).with_name("pdf_child.py")
_ERRORS = {"invalid_document": InvalidDocument, "encrypted_document": EncryptedDocument}


class PdfRenderer:
    def __init__(self, data: bytes, memory_mb: int, page_timeout_s: float):
        self.page_timeout_s = page_timeout_s
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in sys.path if p)}
        # -P: the child's own folder (which holds ocr_engine/io.py) must not shadow the stdlib
        self.process = subprocess.Popen([sys.executable, "-P", str(CHILD)], stdin=subprocess.PIPE,
                                        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env, cwd="/")
        try:
            limits = {"memory_bytes": memory_mb * 1024 * 1024}
            self.process.stdin.write(json.dumps(limits).encode() + b"\n" + struct.pack(">Q", len(data)) + data)
            self.process.stdin.flush()
            self.count = self._answer("opening the PDF")["pages"]
        except BaseException:
            self.close()
            raise

    def size(self, index: int) -> tuple[float, float]:
        width, height = self._ask(f"SIZE {index}", f"reading page {index + 1}")["size"]
        return width, height

    def render(self, index: int, scale: float) -> np.ndarray:
        shape = self._ask(f"RENDER {index} {scale!r}", f"rendering page {index + 1}")["shape"]
        pixels = self._read(int(np.prod(shape)), f"rendering page {index + 1}")
        return np.frombuffer(pixels, np.uint8).reshape(shape)

    def close(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait()
        for pipe in (self.process.stdin, self.process.stdout):
            pipe.close()

    def _ask(self, request: str, doing: str) -> dict:
        try:
            self.process.stdin.write(request.encode() + b"\n")
            self.process.stdin.flush()
        except BrokenPipeError:
            raise self._over_budget(doing) from None
        return self._answer(doing)

    def _answer(self, doing: str) -> dict:
        line = b""
        while not line.endswith(b"\n"):
            chunk = self._read(1, doing)
            line += chunk
        message = json.loads(line)
        if "error" in message:
            raise _ERRORS.get(message.get("code"), InvalidDocument)(f"cannot read the PDF: {message['error']}")
        return message

    def _read(self, size: int, doing: str) -> bytes:
        """Exactly `size` bytes from the child, or over budget when it dies or takes longer
        than a page may."""
        out, stop = bytearray(), time.monotonic() + self.page_timeout_s
        stream = self.process.stdout
        while len(out) < size:
            left = stop - time.monotonic()
            if left <= 0 or not select.select([stream], [], [], left)[0]:
                raise self._over_budget(doing)
            chunk = os.read(stream.fileno(), min(size - len(out), 1 << 20))
            if not chunk:
                raise self._over_budget(doing)
            out += chunk
        return bytes(out)

    def _over_budget(self, doing: str) -> DocumentTooComplex:
        self.close()
        return DocumentTooComplex(f"the PDF needs more memory or time than allowed {doing} "
                                  f"(OCR_PDF_MEMORY_MB, OCR_PDF_PAGE_TIMEOUT_S)")
