"""Born-digital PDF pages read from their text layer vs OCRed: seconds per page, and whether
the OCR of the same pages says what the text layer says.

    .venv/bin/python bench/text_layer.py [--pages 10] [--threads 1]

The PDF is made in memory (testkit.born_digital: Helvetica, 30 lines of invoice-like text a
page, Latin-1). Both runs read the same document in one engine, as the API reads it:
OcrEngine.read(data, text_layer="auto") (every page from its text layer) and
text_layer="ignore" (every page rendered at 200 dpi and OCRed in page mode's auto). The
times include the PDF child's start (once per document)."""

import argparse
import json
import time

ITEMS = ["Paper A4 500 sheets", "Toner cartridge black", "Stapler heavy duty", "Envelopes C5 (100)",
         "Desk lamp LED", "USB-C cable 2 m", "Notebook ruled", "Ballpoint pens (12)"]


def page_lines(page: int) -> list[str]:
    lines = [f"Invoice 2026-{page:04d}  Office Supplies Ltd.", "Bill to: Example Trading Co., 42 Market Street"]
    for row in range(28):
        item = ITEMS[(row + page) % len(ITEMS)]
        quantity, unit = row % 5 + 1, 3.5 + row
        lines.append(f"{row + 1:2d}  {item}  qty {quantity}  unit {unit:.2f}  total {quantity * unit:.2f}")
    return lines


def main() -> None:
    from ocr_engine import OcrEngine, Settings
    from testkit.born_digital import born_digital_pdf

    parser = argparse.ArgumentParser()
    parser.add_argument("--pages", type=int, default=10)
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    expected = [page_lines(n) for n in range(1, args.pages + 1)]
    data = born_digital_pdf(expected)
    engine = OcrEngine(settings=Settings.from_env(threads=args.threads))
    engine.read(data, page_range=(1, 1), text_layer="ignore")  # warm up the sessions
    report = {"pages": args.pages, "threads": args.threads, "pdf_bytes": len(data)}
    for layer in ("auto", "ignore"):
        started = time.perf_counter()
        result = engine.read(data, text_layer=layer)
        elapsed = time.perf_counter() - started
        lines = [line.text for page in result.pages for line in page.lines]
        wanted = [" ".join(line.split()) for page in expected for line in page]
        report[layer] = {
            "seconds_per_page": round(elapsed / args.pages, 4),
            "sources": sorted({page.source for page in result.pages}),
            "lines": len(lines),
            "lines_exact": sum(a == b for a, b in zip(lines, wanted)),
        }
    report["speedup"] = round(report["ignore"]["seconds_per_page"] / report["auto"]["seconds_per_page"], 1)
    print(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()
