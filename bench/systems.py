"""One OCR system over one eval set, in one process: the unit `bench/compare.py` times.

    python bench/systems.py SYSTEM --set lines|pages --threads N --out FILE.json
    python bench/systems.py SYSTEM --serve --threads N   # for bench/ab.py

SYSTEM is `ours[:PACK]` (run with the project's .venv), `rapidocr-v4`
(rapidocr_onnxruntime 1.4.4), `rapidocr-v6` (rapidocr 3.10.0), `faster-paddle-tiny` or
`faster-paddle-small` (faster-paddle 1.0.4) or `tesseract` (run with bench/.venv). Each
loads its models once, then reads every image of the set in order (or `--sample N` of
them, spread over the set: a smoke test), timing each call. Written to FILE: the texts,
per-image seconds, the wall-clock moments the process started (import of this file), was
ready and had its first result, peak RSS (the process's own; for Tesseract, which runs one
process per image, its children's), and versions. Lines are read as lines (no detection),
pages as pages, each system with its own defaults otherwise; faster-paddle has no way to
read a line without its detector, so it reads a line as it reads a page.

With --serve, a system that has a recogniser one can call alone (ours, rapidocr-v4) also
answers requests of kind `recogniser`: the line is decoded and turned upright before the
clock starts, then only the recogniser reads it (`bench/ab.py --recogniser`)."""

from __future__ import annotations

import time

STARTED = time.time()  # before the heavy imports: cold start counts them

import argparse  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import resource  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
from functools import partial  # noqa: E402
from pathlib import Path  # noqa: E402

EVAL = Path(__file__).resolve().parents[1].parent / "shared" / "eval"


def line_strip(path: Path):
    """A line image as the recognisers take it: decoded to BGR, and turned a quarter
    counterclockwise when it is tall (a vertical line), as our engine turns one."""
    import cv2
    import numpy as np

    image = cv2.imread(str(path), cv2.IMREAD_COLOR)
    if image.shape[0] >= 1.5 * image.shape[1]:
        image = np.ascontiguousarray(np.rot90(image))
    return image


def eval_files(set_name: str) -> list[Path]:
    kind = set_name.rstrip("s")
    rows = [json.loads(line) for line in (EVAL / "labels.jsonl").read_text(encoding="utf-8").splitlines() if line]
    return [EVAL / r["file"] for r in rows if r["kind"] == kind]


class Ours:
    def __init__(self, pack: str | None, threads: int):
        from ocr_engine import OcrEngine, Settings

        self.engine = OcrEngine(settings=Settings.from_env(model_pack=pack, threads=threads))
        self.stages: dict[str, float] = {}
        import onnxruntime

        self.version = f"{self.engine.pack.name} {self.engine.pack.version} (onnxruntime {onnxruntime.__version__})"

    def read(self, path: Path, kind: str) -> str:
        result = self.engine.read(path, mode=kind)
        for stage, seconds in result.timings.items():
            self.stages[stage] = self.stages.get(stage, 0.0) + seconds
        return result.text

    def recognise(self, strip) -> str:
        """The pack's recogniser alone (no orientation classifier)."""
        ((text, _),) = self.engine.recognizer.recognize([strip])
        return text


class RapidOcrV4:
    def __init__(self, threads: int):
        from importlib.metadata import version

        from rapidocr_onnxruntime import RapidOCR

        self.engine = RapidOCR(intra_op_num_threads=threads, inter_op_num_threads=1)
        self.version = f"rapidocr_onnxruntime {version('rapidocr_onnxruntime')} (PP-OCRv4)"

    def read(self, path: Path, kind: str) -> str:
        result, _ = self.engine(str(path), use_det=kind == "page")
        if not result:
            return ""
        return "\n".join(item[1] if kind == "page" else item[0] for item in result)

    def recognise(self, strip) -> str:
        """PP-OCRv4's recogniser alone (no classifier, none of the pipeline's resizing)."""
        readings, _ = self.engine.text_rec([strip])
        return readings[0][0]


class RapidOcrV6:
    def __init__(self, threads: int):
        from importlib.metadata import version

        from rapidocr import RapidOCR

        self.engine = RapidOCR(
            params={
                "EngineConfig.onnxruntime.intra_op_num_threads": threads,
                "EngineConfig.onnxruntime.inter_op_num_threads": 1,
                "Global.log_level": "warning",
            }
        )
        self.version = f"rapidocr {version('rapidocr')} (PP-OCRv6 small)"

    def read(self, path: Path, kind: str) -> str:
        result = self.engine(str(path), use_det=kind == "page")
        return "\n".join(result.txts or ())


class FasterPaddle:
    """faster-paddle (Rust + its own ONNX Runtime, PP-OCRv6 tiny or small bundled in the
    wheel). Its Python API is `OcrEngine(model_size, threads).ocr(encoded bytes)`: detection,
    then recognition; there is no recognition-only call, so a line is read through the
    detector too (the line's box is found, cropped and read). `text` is its own reading
    order (column by column)."""

    def __init__(self, size: str, threads: int):
        import faster_paddle

        self.engine = faster_paddle.OcrEngine(model_size=size, threads=threads)
        runtime = faster_paddle.__runtime_build__.split("git-branch=rel-")[-1].split(",")[0]
        self.version = f"faster-paddle {faster_paddle.__version__} (PP-OCRv6 {size}, onnxruntime {runtime})"

    def read(self, path: Path, kind: str) -> str:
        return self.engine.ocr(path.read_bytes())["text"]


class Tesseract:
    """One `tesseract` process per image (its CLI loads the models every time, which is
    how it is used from a shell or pytesseract)."""

    def __init__(self, threads: int):
        self.env = {**os.environ, "OMP_THREAD_LIMIT": str(threads)}
        self.version = subprocess.run(["tesseract", "--version"], capture_output=True, text=True).stdout.split("\n")[0]

    def read(self, path: Path, kind: str) -> str:
        psm = "7" if kind == "line" else "3"
        done = subprocess.run(
            ["tesseract", str(path), "stdout", "-l", "chi_sim+eng", "--psm", psm],
            capture_output=True, text=True, env=self.env,
        )
        return done.stdout.strip()


PEERS = {
    "rapidocr-v4": RapidOcrV4,
    "rapidocr-v6": RapidOcrV6,
    # faster-paddle's medium is downloaded on first use, so it is no peer here
    "faster-paddle-tiny": partial(FasterPaddle, "tiny"),
    "faster-paddle-small": partial(FasterPaddle, "small"),
    "tesseract": Tesseract,
}


def load(system: str, threads: int):
    name, _, pack = system.partition(":")
    if name == "ours":
        return Ours(pack or None, threads)
    return PEERS[name](threads)


def serve(system) -> None:
    """Read one image per request, models loaded once: bench/ab.py's long-lived process.
    Requests are JSON lines `{"file", "kind"}` on stdin (kind `line`, `page` or, where the
    system has one, `recogniser`); answers `{"seconds", "text"}` go to the original stdout,
    while anything the system prints goes to stderr."""
    answers = os.fdopen(os.dup(sys.stdout.fileno()), "w", encoding="utf-8")
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())
    recogniser = hasattr(system, "recognise")
    answers.write(json.dumps({"ready": True, "version": system.version, "recogniser": recogniser}) + "\n")
    answers.flush()
    for request in map(json.loads, sys.stdin):
        path = Path(request["file"])
        if request["kind"] == "recogniser":
            strip = line_strip(path)
            start = time.perf_counter()
            text = system.recognise(strip)
        else:
            start = time.perf_counter()
            text = system.read(path, request["kind"])
        seconds = time.perf_counter() - start
        answers.write(json.dumps({"seconds": seconds, "text": text}, ensure_ascii=False) + "\n")
        answers.flush()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("system")
    parser.add_argument("--set", choices=["lines", "pages"])
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--out", type=Path)
    parser.add_argument("--sample", type=int, help="read only N images spread over the set (a smoke test)")
    parser.add_argument("--serve", action="store_true", help="answer requests on stdin (bench/ab.py)")
    args = parser.parse_args()
    if args.serve:
        return serve(load(args.system, args.threads))
    if not (args.set and args.out):
        parser.error("--set and --out are required unless --serve")
    kind = args.set.rstrip("s")
    files = eval_files(args.set)
    if args.sample:
        files = files[:: max(1, len(files) // args.sample)][: args.sample]

    system = load(args.system, args.threads)
    ready = time.time()
    results, first = [], None
    for path in files:
        start = time.perf_counter()
        text = system.read(path, kind)
        seconds = time.perf_counter() - start
        first = first or time.time()
        results.append({"file": str(path), "text": text, "seconds": seconds})
    finished = time.time()

    usage = resource.getrusage(resource.RUSAGE_CHILDREN if args.system == "tesseract" else resource.RUSAGE_SELF)
    report = {
        "system": args.system,
        "version": system.version,
        "set": args.set,
        "sample": args.sample,
        "threads": args.threads,
        "started": STARTED,
        "ready": ready,
        "first_result": first,
        "finished": finished,
        "peak_rss_mib": usage.ru_maxrss / 1024,
        "cpu_seconds": sum(resource.getrusage(who).ru_utime + resource.getrusage(who).ru_stime
                           for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN)),
        "stages": getattr(system, "stages", None),
        "results": results,
        "python": sys.version.split()[0],
    }
    args.out.write_text(json.dumps(report, ensure_ascii=False), encoding="utf-8")


if __name__ == "__main__":
    main()
