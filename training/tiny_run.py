"""Data for the crnn-v6t student (training/tiny_student.py): shards of lines rendered in
font set v2 (trainable texts only) or, for the held-out lines, in the held-out fonts
(held-out texts only), each read once by the teacher (PP-OCRv6 small, the default pack).

  python -m training.tiny_run data --out training/runs/shards-v6t-sp --shards 400 --seed 20261208
  python -m training.tiny_run data --out training/runs/held-out-v6t-sp --shards 4 --held-out --seed 20261209
  python -m training.tiny_run data --out training/runs/shards-v6t-web --shards 400 --seed 20261210 --look web
  python -m training.tiny_run data --out training/runs/held-out-v6t-web --shards 2 --held-out --seed 20261211 --look web
  python -m training.tiny_run data --out training/runs/shards-v6t-v3web --shards 120 --seed 20261214 --look web \
      --font-set v3
  python -m training.tiny_run data --out training/runs/shards-v6t-tight --shards 59 --seed 20261215 --look web \
      --font-set v3 --tight-share 0.5 --traditional-share 0.2
  python -m training.tiny_run data --out training/runs/held-out-v6t-tight --shards 2 --held-out --seed 20261216 \
      --look web --tight-share 0.5 --traditional-share 0.2
  python -m training.tiny_run data --out training/runs/shards-v6t-small --shards 120 --seed 20261217 --look web \
      --font-set v3 --tight-share 0.5 --traditional-share 0.2 --small-share 0.35
  python -m training.tiny_run data --out training/runs/held-out-v6t-small --shards 2 --held-out --seed 20261218 \
      --look web --tight-share 0.5 --traditional-share 0.2 --small-share 0.35
  python -m training.tiny_run data --out training/runs/shards-v6t-hand4 --shards 400 --seed 20261230 --look hand \
      --font-set v4
  python -m training.tiny_run data --out training/runs/held-out-v6t-dots --shards 2 --held-out --seed 20261231 \
      --dot-share 0.6
  python -m training.tiny_run data --out training/runs/shards-v6t-dots --shards 80 --seed 20261232 --font-set v3 \
      --dot-share 0.6
  python -m training.tiny_run data --out training/runs/shards-v6t-mix5 --shards 80 --seed 20261233 --look web \
      --font-set v3 --tight-share 0.5 --traditional-share 0.2 --small-share 0.35
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

CACHE_DIR = Path("build/wheels")
SEED = 20261206


def _log(message: str) -> None:
    print(time.strftime("%H:%M:%S"), message, file=sys.stderr, flush=True)


def text_charset(cache_dir: Path = CACHE_DIR) -> set[str]:
    """What a line may hold: characters both the student (tiny's charset) and the teacher know,
    and the space, which both read as a class of its own (last in their charsets, outside
    the charset files): shards made without it (shards-v6t, held-out-v6t) held no spaces,
    and the student learnt to run English words together."""
    from .teacher import teacher_pack
    from .tiny_student import extract_tiny

    _, student = extract_tiny(cache_dir)
    teacher = teacher_pack().charset
    return (set(student) & set(teacher)) | {" "}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m training.tiny_run")
    commands = parser.add_subparsers(dest="command", required=True)
    data = commands.add_parser("data", help="render lines and have the teacher read them, as shards")
    data.add_argument("--out", type=Path, required=True)
    data.add_argument("--shards", type=int, required=True)
    data.add_argument("--seed", type=int, default=SEED)
    data.add_argument("--held-out", action="store_true", help="held-out texts in the held-out fonts")
    data.add_argument("--look", choices=["print", "web", "hand"], default="print",
                      help="web / hand: part of the lines drawn as in web images (training/render_web.py) "
                           "or as handwriting (training/render_hand.py)")
    data.add_argument("--font-set", choices=["v2", "v3", "v4"], default="v2",
                      help="v3: v2 and display faces (training/render.py); v4: v3, more hand faces, and only "
                           "the characters a face draws; held-out lines keep the held-out fonts")
    data.add_argument("--tight-share", type=float, default=0.0,
                      help="of the lines, cropped at the text's ends (training/render_web.tight_ends)")
    data.add_argument("--traditional-share", type=float, default=0.0,
                      help="of the lines, in traditional characters (training/traditional.py)")
    data.add_argument("--small-share", type=float, default=0.0,
                      help="of the lines, drawn at 9-17 px (training/render.py)")
    data.add_argument("--dot-share", type=float, default=0.0,
                      help="of the print lines, printed in dots (training/render_dots.py)")
    data.add_argument("--cell-share", type=float, default=0.0,
                      help="of the lines, one to three characters, as in a table's cells (training/line_texts.py)")
    args = parser.parse_args(argv)
    if args.command == "data":
        from .data import produce
        from .render import missing_faces

        font_set = "held-out" if args.held_out else args.font_set
        if missing := missing_faces(font_set, args.look):
            parser.error(f"font set {font_set!r} lacks {len(missing)} faces ({', '.join(missing[:3])}...): install "
                         "the Debian packages training/render.py and training/render_hand.py name")
        produce(args.out, args.seed, text_charset(), args.shards, log=_log, font_set=font_set,
                held_out=args.held_out, look=args.look, tight_share=args.tight_share,
                traditional_share=args.traditional_share, small_share=args.small_share,
                dot_share=args.dot_share, cell_share=args.cell_share)
    return 0


if __name__ == "__main__":
    sys.exit(main())
