"""A crnn-v6t run's settings (training/tiny_train.py)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class TinyConfig:
    run_dir: str
    data_dir: str
    more_data_dirs: tuple[str, ...] = ()  # further shard folders, their lines drawn from as data_dir's
    held_out_dir: str | None = None
    more_held_out_dirs: tuple[str, ...] = ()
    seed: int = 20261206
    batch_size: int = 32
    lr: float = 1e-3
    weight_decay: float = 1e-2
    warmup_steps: int = 100
    steps: int = 30_000  # the cosine schedule's length
    min_lr_ratio: float = 0.05
    max_width: int = 1280  # px at height 48; wider lines are skipped
    hidden: int = 80
    head: int = 80  # the CTC head's inner width (tiny's own: 80)
    keep_neck: bool = False  # tiny's neck kept under a gated BiLSTM (tiny_student.TinyCRNN)
    frozen_backbone: bool = True
    backbone_lr_ratio: float = 1.0  # the trained backbone's lr against the head's (tiny_train)
    kd_weight: float = 1.0
    neck_steps: int = 1500
    weight_teacher_agrees: float = 1.0
    weight_teacher_differs: float = 0.4
    checkpoint_minutes: float = 5.0
    eval_minutes: float = 10.0
    log_every: int = 25
    threads: int = 1
    cache_dir: str = "build/wheels"
