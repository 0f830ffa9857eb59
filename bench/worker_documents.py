"""The worker's document path: time per page of a 3-page PDF and the peak RSS of a
50-page document, each in a fresh process (peak RSS from the kernel's ru_maxrss).

    .venv/bin/python bench/worker_documents.py

The PDFs are made in memory from the eval pages (../shared/eval/pages, JPEG receipts and
web images, cycled) at 200 DPI-equivalent placement; nothing is written to disk. Pages
are read as the worker reads them: OcrEngine.iter_pages(data, mode="auto"), 1 thread."""

import io
import json
import resource
import subprocess
import sys
import time
from pathlib import Path

EVAL = Path(__file__).resolve().parents[1].parent / "shared" / "eval"


def make_pdf(pages: int) -> bytes:
    from PIL import Image

    files = sorted((EVAL / "pages").glob("*.jpg"))
    images = [Image.open(files[i % len(files)]).convert("RGB") for i in range(pages)]
    buffer = io.BytesIO()
    images[0].save(buffer, "PDF", save_all=True, append_images=images[1:], resolution=200)
    return buffer.getvalue()


def child(pages: int) -> None:
    from ocr_engine import OcrEngine, Settings

    data = make_pdf(pages)
    engine = OcrEngine(settings=Settings.from_env(threads=1))
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    started = time.perf_counter()
    lines = sum(len(page.lines) for page in engine.iter_pages(data, mode="auto"))
    elapsed = time.perf_counter() - started
    print(json.dumps({"pages": pages, "pdf_bytes": len(data), "lines": lines, "seconds": round(elapsed, 2),
                      "seconds_per_page": round(elapsed / pages, 3),
                      "peak_rss_mib_before_reading": round(rss_before),
                      "peak_rss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)}))


def main() -> None:
    if len(sys.argv) > 2 and sys.argv[1] == "--child":
        child(int(sys.argv[2]))
        return
    for pages in (3, 50):
        out = subprocess.run([sys.executable, __file__, "--child", str(pages)], capture_output=True, text=True,
                             check=True)
        print(out.stdout.strip())


if __name__ == "__main__":
    main()
