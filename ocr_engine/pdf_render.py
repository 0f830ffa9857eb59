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
        self._pending = bytearray()  # read from the child, not yet taken
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in sys.path if p)}
        # -P: the child's own folder (which holds ocr_engine/io.py) must not shadow the stdlib
        self.process = subprocess.Popen([sys.executable, "-P", str(CHILD)], stdin=subprocess.PIPE,
                                        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env, cwd="/")
        assert self.process.stdin is not None and self.process.stdout is not None  # both PIPE
        self.stdin, self.stdout = self.process.stdin, self.process.stdout
        try:
            limits = {"memory_bytes": memory_mb * 1024 * 1024}
            self.stdin.write(json.dumps(limits).encode() + b"\n" + struct.pack(">Q", len(data)) + data)
            self.stdin.flush()
            self.count = self._answer(time.monotonic() + page_timeout_s, "opening the PDF")["pages"]
        except BaseException:
            self.close()
            raise

    def size(self, index: int) -> tuple[float, float]:
        width, height = self._ask(f"SIZE {index}", f"reading page {index + 1}")[0]["size"]
        return width, height

    def render(self, index: int, scale: float) -> np.ndarray:
        message, stop = self._ask(f"RENDER {index} {scale!r}", f"rendering page {index + 1}")
        shape = message["shape"]
        return self._take_pixels(int(np.prod(shape)), stop, f"rendering page {index + 1}").reshape(shape)

    def close(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait()
        for pipe in (self.stdin, self.stdout):
            pipe.close()

    def _ask(self, request: str, doing: str) -> tuple[dict, float]:
        """Send one request; its answer and the moment its page's time runs out."""
        stop = time.monotonic() + self.page_timeout_s
        try:
            self.stdin.write(request.encode() + b"\n")
            self.stdin.flush()
        except BrokenPipeError:
            raise self._over_budget(doing) from None
        return self._answer(stop, doing), stop

    def _answer(self, stop: float, doing: str) -> dict:
        while b"\n" not in self._pending:
            self._fill(stop, doing)
        end = self._pending.index(b"\n")
        message = json.loads(self._pending[:end])
        del self._pending[: end + 1]
        if "error" in message:
            raise _ERRORS.get(message.get("code"), InvalidDocument)(f"cannot read the PDF: {message['error']}")
        return message

    def _take_pixels(self, size: int, stop: float, doing: str) -> np.ndarray:
        """`size` bytes read from the pipe straight into one array: a page at the pixel
        limit is 150 MB, and collecting it in a buffer first held it twice (the API's RSS
        went from 153 to 456 MiB for a 200-inch page)."""
        pixels = np.empty(size, np.uint8)
        view = pixels.data  # a memoryview of its bytes
        filled = min(size, len(self._pending))
        view[:filled] = self._pending[:filled]
        del self._pending[:filled]
        while filled < size:
            self._wait(stop, doing)
            read = os.readv(self.stdout.fileno(), [view[filled:]])
            if not read:
                raise self._over_budget(doing)
            filled += read
        return pixels

    def _fill(self, stop: float, doing: str) -> None:
        """More bytes from the child, or over budget when it dies or its page's time is up."""
        self._wait(stop, doing)
        chunk = os.read(self.stdout.fileno(), 1 << 20)
        if not chunk:
            raise self._over_budget(doing)
        self._pending += chunk

    def _wait(self, stop: float, doing: str) -> None:
        left = stop - time.monotonic()
        if left <= 0 or not select.select([self.stdout], [], [], left)[0]:
            raise self._over_budget(doing)

    def _over_budget(self, doing: str) -> DocumentTooComplex:
        self.close()
        return DocumentTooComplex(f"the PDF needs more memory or time than allowed {doing} "
                                  f"(OCR_PDF_MEMORY_MB, OCR_PDF_PAGE_TIMEOUT_S)")
