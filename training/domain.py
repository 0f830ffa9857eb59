"""`ocr train --from crnn-zh-v1 --charset FILE --corpus FILE`: a user's own domain.

The trained CRNN is fine-tuned for added characters and the user's text: its head gets a
class per added character (starting near "never", so nothing it read before changes),
and it learns from lines rendered as they are needed, half from the user's corpus and
half from the general generators (training/corpus.py), with the keep term toward the
starting model on the general half, so that what it read before is not lost. No teacher:
the teacher does not know the added characters, and a rendered line's text is its truth.
The result is exported, quantized and built into a pack like crnn-zh-v1 (det and cls
from the default pack)."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path

from .render import LineRenderer
from .rendered import corpus_lines

REPO = Path(__file__).resolve().parent.parent
# the trained models `--from` starts from: their committed, resumable checkpoints
BASES = {"crnn-zh-v1": REPO / "training" / "models" / "crnn-zh-v1.ckpt.pt"}
CHECK_SEED = 7_000_003  # renders of --check lines: never the training stream's seeds


@dataclass
class DomainRun:
    base: str
    charset_file: Path
    corpus_file: Path
    name: str
    run_dir: Path
    packs_dir: Path | None = None  # default: build/packs
    steps: int = 400
    batch_size: int = 16
    lr: float = 3e-4
    domain_share: float = 0.5
    threads: int = 1
    device: str = "cpu"
    eval_dir: str | None = None  # dev lines scored during the run (default ../shared/eval, when there)
    seed: int = 20261127


def fine_tune(run: DomainRun, resume: bool = False, max_steps: int | None = None, log=print) -> Path:
    """Train, export, build the pack; returns the pack's folder."""
    from ocr_build.trained_pack import TRAINED_RECIPES, TrainedRecipe, build_recogniser_pack
    from ocr_engine.packs import local_packs_dir

    from .evaluate import DEFAULT_EVAL_DIR
    from .export import export_checkpoint
    from .train import CHECKPOINT, TrainConfig, train

    if run.base not in BASES:
        raise ValueError(f"--from {run.base}: one of {', '.join(BASES)}")
    added = "".join(Path(run.charset_file).read_text(encoding="utf-8").split())
    config = TrainConfig(
        run_dir=str(run.run_dir), data_dir="", seed=run.seed, batch_size=run.batch_size, lr=run.lr,
        warmup_steps=max(1, min(50, run.steps // 10)), steps=run.steps, device=run.device, threads=run.threads,
        eval_dir=str(run.eval_dir or DEFAULT_EVAL_DIR), base_checkpoint=str(BASES[run.base]),
        added_characters=added, domain_corpus=str(run.corpus_file), domain_share=run.domain_share,
    )
    train(config, resume=resume, max_steps=max_steps, log=log)
    onnx_file = Path(run.run_dir) / f"{run.name}.onnx"
    export_checkpoint(Path(run.run_dir) / CHECKPOINT, onnx_file, log=log)
    base = TRAINED_RECIPES[run.base]
    recipe = TrainedRecipe(
        rec_file=str(onnx_file.resolve()), version=base.version, precision=base.precision, height=base.height,
        stride=base.stride, min_width=base.min_width,
        weights=f"{run.base} fine-tuned by `ocr train --from` for the characters {added!r} and the corpus "
        f"{Path(run.corpus_file).name}",
        manifest_note=json.dumps({k: str(v) for k, v in asdict(run).items()}, ensure_ascii=False),
        made_by="ocr train --from (this machine)",
    )
    return build_recogniser_pack(run.name, recipe, out_dir=run.packs_dir, force=True, log=log,
                                 base_dir=local_packs_dir())


def check(pack_dirs: list[Path], lines_file: Path, renders: int = 3) -> dict:
    """Each pack's recogniser on the lines of `lines_file`, each rendered `renders` times
    with seeds training never uses: the share read exactly (spaces and case aside)."""
    from ocr_engine.packs import ModelPack

    from .batches import normalised
    from .measure import recognizer

    lines = corpus_lines(lines_file)
    renderer = LineRenderer(CHECK_SEED)
    images = [(text, renderer.render(text)) for text in lines for _ in range(renders)]
    results = {}
    for pack_dir in pack_dirs:
        pack = ModelPack.load(pack_dir)
        read = recognizer(pack)
        exact = sum(normalised(read.recognize([image])[0][0]) == normalised(text) for text, image in images)
        results[pack.name] = {"exact": round(exact / len(images), 4), "lines": len(images)}
    return results

