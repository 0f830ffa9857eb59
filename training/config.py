"""A training run's settings: every field has a default, a run's config file
(training/configs/*.toml) or flags set the rest; the run folder keeps the resolved copy
(config.json) and every checkpoint holds it."""

from __future__ import annotations

from dataclasses import dataclass, field

from .evaluate import DEFAULT_EVAL_DIR


@dataclass
class TrainConfig:
    run_dir: str
    data_dir: str
    seed: int = 20261126
    batch_size: int = 32
    lr: float = 2e-4
    weight_decay: float = 1e-2
    warmup_steps: int = 100
    steps: int = 100_000  # the cosine schedule's length; the run may be stopped any time before
    min_lr_ratio: float = 0.05
    max_width: int = 960  # px at height 32; wider lines are skipped
    # The stem and the first 11 of 13 backbone blocks stay as PP-OCRv2 trained them on real
    # images: on one CPU thread their backward would take half of every step, and the
    # comma defect lives in the BiLSTM (the backward direction), which is trained.
    frozen_blocks: int = 11
    # start the CTC head from scratch instead of PP-OCRv2's (a quick, visible fall of the
    # loss for the tests; a start for a new charset)
    head_from_scratch: bool = False
    keep_weight: float = 0.5  # the KL term toward the original PP-OCRv2 (module docstring)
    condense_share: float = 0.0  # of the lines squeezed narrower than rendered (batches._student_input)
    # quantization-aware training (training/qat.py): the convolutions learn the INT8 rounding
    # the export will give them; their ranges start from this many batches
    qat: bool = False
    qat_calibration_batches: int = 8
    # the stem and the first N blocks stay fp32 (0: none): the layers post-training INT8
    # hurts most, at the highest resolution, where INT8 with its requantized hard-swish
    # was no faster (bench/results/2026-11-27-crnn-qat.md)
    qat_float_blocks: int = 0
    checkpoint_minutes: float = 5.0
    eval_minutes: float = 5.0
    log_every: int = 25
    device: str = "cpu"
    threads: int = 1
    produce_shards: int = 0  # >0: a background producer renders and labels shards up to this count
    eval_dir: str = str(DEFAULT_EVAL_DIR)
    cache_dir: str = "build/wheels"
    # weights of a line's CTC loss by what the teacher read (see the module docstring)
    weight_teacher_agrees: float = 1.0
    weight_teacher_differs: float = 0.4
    # A user's own domain (training/domain.py): start from a trained checkpoint instead of
    # PP-OCRv2's weights, add characters to the charset, and render lines of a corpus as
    # they are needed (no teacher: it does not know the added characters)
    base_checkpoint: str | None = None
    added_characters: str = ""
    domain_corpus: str | None = None
    domain_share: float = 0.5  # of the rendered lines; the rest come from the general generators
    extra: dict = field(default_factory=dict)
