"""`python -m training COMMAND` (also `ocr train ...`): data, train, eval, export, slim, measure, doubt, curve,
domain, check, replay. `ocr train --from MODEL ...` is `domain --from MODEL ...`: a user's own characters and
text. `--config NAME` reads a run's flags from training/configs/NAME.toml (training/runfile.py); given first,
its file's `command` picks the subcommand."""

from __future__ import annotations

import argparse
import json
import os
import sys
from dataclasses import fields
from pathlib import Path

from .config import TrainConfig
from .runfile import with_run_file

RUN_FILE_COMMANDS = ("train", "domain")  # the commands `--config` gives flags to


def _log(message: str) -> None:
    print(message, flush=True)


def parse(argv: list[str]) -> argparse.Namespace:
    """The command line, with a run file's flags (`--config`) as the defaults of its subcommand."""
    if argv[:1] and argv[0].split("=")[0] == "--from":
        argv = ["domain", *argv]
    parser = argparse.ArgumentParser(prog="python -m training",
                                     description="Train and export the project's CRNN recogniser.")
    commands = parser.add_subparsers(dest="command", required=True)

    data = commands.add_parser("data", help="render lines and have the teacher read them, as shards")
    data.add_argument("--out", type=Path, required=True)
    data.add_argument("--shards", type=int, required=True)
    data.add_argument("--seed", type=int, default=TrainConfig.seed)

    train = commands.add_parser("train", help="fine-tune the student (checkpoints every few minutes)")
    train.add_argument("--run", type=Path, required=True, help="run folder: checkpoint, config, learning curve")
    train.add_argument("--data", type=Path, required=True, help="shard folder (filled by `data` or --produce)")
    train.add_argument("--produce", type=int, default=0, metavar="SHARDS",
                       help="render and label shards up to this count in a background process while training")
    train.add_argument("--resume", action="store_true")
    train.add_argument("--max-steps", type=int, help="stop after this many more steps")
    train.add_argument("--device", default="cpu", help="cpu or cuda")
    train.add_argument("--threads", type=int, default=1)
    train.add_argument("--base-checkpoint", help="start from this checkpoint's weights instead of PP-OCRv2's "
                       "(the keep term then keeps what it reads)")
    for name in ("seed", "batch_size", "lr", "steps", "warmup_steps", "checkpoint_minutes", "eval_minutes", "log_every",
                 "max_width", "frozen_blocks", "condense_share", "keep_weight", "qat_float_blocks"):
        kind = next(f.type for f in fields(TrainConfig) if f.name == name)
        train.add_argument(f"--{name.replace('_', '-')}", type=float if kind in ("float", float) else int)
    train.add_argument("--qat", action="store_true", default=None,
                       help="quantization-aware training: the convolutions learn their INT8 rounding")
    train.add_argument("--eval-dir", help="dev lines to score (default ../shared/eval)")

    evaluate = commands.add_parser("eval", help="score a checkpoint (or the pretrained weights) on the dev lines")
    evaluate.add_argument("--checkpoint", type=Path, help="default: the pretrained PP-OCRv2 weights")
    evaluate.add_argument("--min-width", type=int)

    export = commands.add_parser("export", help="checkpoint -> ONNX (LSTM ops), dynamic INT8 for LSTM/MatMul")
    export.add_argument("--checkpoint", type=Path, required=True)
    export.add_argument("--out", type=Path, required=True, help="the INT8 ONNX file to write")
    export.add_argument("--fp32-out", type=Path, help="also keep the fp32 ONNX here")

    slim = commands.add_parser("slim",
                               help="a small copy of a checkpoint (fp16 weights, no moments), to commit; resumable")
    slim.add_argument("--checkpoint", type=Path, required=True)
    slim.add_argument("--out", type=Path, required=True)

    measure = commands.add_parser("measure", help="a pack's recogniser (its cascade, if it has "
                                  "one) vs PP-OCRv6 small's (and PP-OCRv6 tiny's) on the dev lines per domain "
                                  "and held-out lines per kind: exact, CER, ms/line, size")
    measure.add_argument("--pack", type=Path, required=True, help="pack folder, e.g. build/packs/crnn-zh-v1")
    measure.add_argument("--min-width", type=int, nargs="*", help="also try these minimum widths")
    measure.add_argument("--tiny", action="store_true", help="PP-OCRv6 tiny's own recogniser too (fp32)")
    measure.add_argument("--held-out", type=Path, nargs="+",
                         help="folders of held-out shards: also scored, per kind of text")
    measure.add_argument("--against", type=Path, metavar="PACK",
                         help="a baseline pack: its readers read the held-out lines too, and each of the pack's is "
                              "compared with the baseline's line by line (paired_with_...)")

    doubt = commands.add_parser("doubt", help="fit a cascade pack's doubt model (which lines its fallback re-reads) "
                                "on rendered training lines, and write it as JSON")
    doubt.add_argument("--pack", type=Path, required=True, help="a pack with a fallback recogniser")
    doubt.add_argument("--data", type=Path, nargs="+", required=True, help="folders of rendered training shards")
    doubt.add_argument("--shards", type=int, default=6, help="the first this many shards of each folder")
    doubt.add_argument("--pages", type=Path, nargs="*", help="folders of training-world pages (bench/held_out_pages.py "
                       "--world training): the threshold is lowered until they read as well as with the pack's rule")
    doubt.add_argument("--out", type=Path, required=True, help="the JSON to write (training/models/*.doubt.json)")

    curve = commands.add_parser("curve", help="a run's learning curve as a Markdown table")
    curve.add_argument("--run", type=Path, required=True)

    domain = commands.add_parser("domain", help="fine-tune a trained model for your own characters and text, "
                                 "and build a pack of it (also `ocr train --from MODEL ...`)")
    domain.add_argument("--from", dest="base", required=True, help="the model to start from: crnn-zh-v1")
    domain.add_argument("--charset", type=Path, required=True,
                        help="UTF-8 text file: the characters to add (any layout)")
    domain.add_argument("--corpus", type=Path, required=True, help="UTF-8 text file: lines of your domain's text")
    domain.add_argument("--name", default="crnn-zh-custom", help="the pack's name (default: crnn-zh-custom)")
    domain.add_argument("--run", type=Path,
                        help="run folder: checkpoint, learning curve, ONNX (default: build/train/NAME)")
    domain.add_argument("--out", type=Path, help="folder that receives the pack (default: build/packs)")
    domain.add_argument("--steps", type=int, default=400)
    domain.add_argument("--batch-size", type=int, default=16)
    domain.add_argument("--resume", action="store_true")
    domain.add_argument("--device", default="cpu", help="cpu or cuda")
    domain.add_argument("--threads", type=int, default=1)
    domain.add_argument("--eval-dir", help="dev lines scored during the run (default ../shared/eval)")
    domain.add_argument("--check", type=Path,
                        help="UTF-8 lines to render and read with the old and new packs afterwards")

    check = commands.add_parser("check", help="packs' recognisers on rendered lines of a text file: share read exactly")
    check.add_argument("--pack", type=Path, nargs="+", required=True)
    check.add_argument("--lines", type=Path, required=True)

    replay = commands.add_parser("replay", help="check a shipped model's run record against the committed files and "
                                 "replay its recorded step(s) from a committed checkpoint (training/records/)")
    replay.add_argument("name", help="the record: training/records/NAME.json, or a path")
    replay.add_argument("--work", type=Path,
                        help="regenerated shards and the replayed run (default: build/replay/NAME)")
    replay.add_argument("--eval-dir", type=Path, help="dev lines to score the checkpoint on "
                        "(default ../shared/eval; the scores are skipped where they are not)")
    replay.add_argument("--quick", action="store_true",
                        help="the checks of the committed files and the scores only: no rebuilds, no steps")
    replay.add_argument("--update", action="store_true",
                        help="write what this replay got into the record (how a record's replay section is made)")

    for command in RUN_FILE_COMMANDS:
        commands.choices[command].add_argument(
            "--config", help="the run's flags from training/configs/NAME.toml (or a TOML file); "
            "flags given here override the file's")
    argv = with_run_file(parser, commands.choices, argv, RUN_FILE_COMMANDS)
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse(sys.argv[1:] if argv is None else argv)
    if args.command in ("domain", "check"):
        return _domain(args)
    if args.command == "replay":
        from .replay import replay

        os.environ.setdefault("OMP_NUM_THREADS", "1")
        report = replay(args.name, lambda flags: train_config(parse(["train", *flags])), work_dir=args.work,
                        eval_dir=args.eval_dir, run_steps=not args.quick, update=args.update, log=_log)
        _log(json.dumps(report, indent=1, ensure_ascii=False))
        return 0 if report["ok"] else 1
    if args.command == "data":
        from .data import produce
        from .student import extract_pretrained, pretrained_charset

        _, charset_path = extract_pretrained(Path(TrainConfig.cache_dir), _log)
        produce(args.out, args.seed, set(pretrained_charset(charset_path)), args.shards, log=_log)
        return 0
    if args.command == "train":
        from .train import train as run_training

        os.environ.setdefault("OMP_NUM_THREADS", str(args.threads))
        summary = run_training(train_config(args), resume=args.resume, max_steps=args.max_steps, log=_log)
        _log(json.dumps(summary))
        return 0
    if args.command == "eval":
        from .evaluate import MIN_WIDTH
        from .evaluate import evaluate as score
        from .export import load_checkpoint, model_for
        from .initial import build_student

        if args.checkpoint:  # its own charset: a widened head (`ocr train --from`) has more classes
            model, charset = model_for(args.checkpoint)
            load_checkpoint(model, args.checkpoint)
        else:
            model, encoder = build_student(Path(TrainConfig.cache_dir), _log)
            charset = encoder.charset
        _log(json.dumps(score(model, charset, min_width=args.min_width or MIN_WIDTH)))
        return 0
    if args.command == "curve":
        rows = [json.loads(line) for line in (args.run / "curve.jsonl").read_text().splitlines() if line.strip()]
        _log("| step | samples | train hours | loss | exact | CER | comma lines exact |")
        _log("|---:|---:|---:|---:|---:|---:|---:|")
        for row in rows:
            loss = "" if row["loss"] is None else f"{row['loss']:.3f}"
            _log(f"| {row['step']} | {row['samples']} | {row['train_hours']:.2f} | {loss} | {row['exact']:.4f} | "
                 f"{row['cer']:.4f} | {row['comma_exact']:.2f} |")
        return 0
    if args.command == "slim":
        from .export import slim_checkpoint

        target = slim_checkpoint(args.checkpoint, args.out)
        _log(f"{target}: {target.stat().st_size / 1e6:.1f} MB")
        return 0
    if args.command == "measure":
        from .measure import compare

        _log(json.dumps(compare(args.pack, min_widths=args.min_width, tiny=args.tiny, held_out=args.held_out,
                                against=args.against), indent=1))
        return 0
    if args.command == "doubt":
        from .doubt import fit_doubt

        os.environ.setdefault("OMP_NUM_THREADS", "1")
        record = {"command": "python -m training " + " ".join(sys.argv[1:] if argv is None else argv),
                  **fit_doubt(args.pack, args.data, args.shards, pages=args.pages, log=_log)}
        args.out.write_text(json.dumps(record, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
        _log(json.dumps({k: record[k] for k in ("model", "out_of_fold")}, indent=1))
        return 0
    if args.command == "export":
        from .export import export_checkpoint

        export_checkpoint(args.checkpoint, args.out, fp32_out=args.fp32_out, log=_log)
        return 0
    return 2


def train_config(args: argparse.Namespace) -> TrainConfig:
    """The `train` command's flags (and its run file's) as a TrainConfig."""
    config = TrainConfig(run_dir=str(args.run), data_dir=str(args.data), device=args.device, threads=args.threads,
                         produce_shards=args.produce)
    for f in fields(TrainConfig):
        value = getattr(args, f.name, None)
        if value is not None and f.name not in ("device", "threads"):
            setattr(config, f.name, value)
    return config


def _domain(args) -> int:
    from ocr_build.trained_pack import build_trained_pack

    from .domain import DomainRun, check, fine_tune

    if args.command == "check":
        _log(json.dumps(check(args.pack, args.lines), indent=1))
        return 0
    os.environ.setdefault("OMP_NUM_THREADS", str(args.threads))
    run = DomainRun(base=args.base, charset_file=args.charset, corpus_file=args.corpus, name=args.name,
                    run_dir=args.run or Path("build/train") / args.name, packs_dir=args.out, steps=args.steps,
                    batch_size=args.batch_size, threads=args.threads, device=args.device, eval_dir=args.eval_dir)
    pack = fine_tune(run, resume=args.resume, log=_log)
    if args.check:
        base = build_trained_pack(args.base, log=_log)
        _log(json.dumps(check([base, pack], args.check), indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
