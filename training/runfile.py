"""A run is a file (nanoGPT's config/*.py, here TOML): training/configs/NAME.toml holds the
flags of one run, `--config NAME` (or a path) reads them, and a flag given on the command
line still wins over the file.

A file's keys are the flags' long names without the dashes (`base_checkpoint` or
`base-checkpoint` for --base-checkpoint, `from` for --from) and `command`, the subcommand
they belong to (default: train)."""

from __future__ import annotations

import argparse
import tomllib
from pathlib import Path

CONFIGS = Path(__file__).resolve().parent / "configs"


def config_path(name: str | Path) -> Path:
    """`crnn-v4` -> training/configs/crnn-v4.toml; a file that exists, as it is."""
    path = Path(name)
    if path.is_file():
        return path
    named = CONFIGS / f"{name}.toml"
    if path.suffix != ".toml" and named.is_file():
        return named
    raise FileNotFoundError(f"no run file {name} (nor {named})")


def read_run_file(name: str | Path) -> dict:
    with open(config_path(name), "rb") as handle:
        return tomllib.load(handle)


def command_of(values: dict) -> str:
    return values.get("command", "train")


def with_run_file(parser: argparse.ArgumentParser, commands: dict, argv: list[str], allowed) -> list[str]:
    """`argv` (its command put first when `--config` comes first), with the run file that
    `--config` names applied to the subcommand's parser in `commands`."""
    peek = argparse.ArgumentParser(add_help=False, allow_abbrev=False)
    peek.add_argument("--config")
    config = peek.parse_known_args(argv)[0].config
    if config is None:
        return argv
    try:
        values = read_run_file(config)
    except (OSError, ValueError) as exc:  # missing, or not TOML (tomllib's error is a ValueError)
        parser.error(f"--config {config}: {exc}")
    if argv[0].split("=")[0] == "--config":
        argv = [command_of(values), *argv]
    if argv[0] not in allowed:
        parser.error(f"--config: only for {', '.join(allowed)}")
    if command_of(values) != argv[0]:
        parser.error(f"{config}: a run file of `{command_of(values)}`, not `{argv[0]}`")
    apply_run_file(commands[argv[0]], values, config)
    return argv


def apply_run_file(parser: argparse.ArgumentParser, values: dict, source: str | Path) -> None:
    """The file's values become `parser`'s defaults, so that flags on the command line
    override them; each is checked against the flag it names, and a flag the file sets
    is no longer required on the command line."""
    actions = {option[2:].replace("-", "_"): action for action in parser._actions
               for option in action.option_strings if option.startswith("--")}
    defaults = {}
    for key, value in values.items():
        if key == "command":
            continue
        action = actions.get(key.replace("-", "_"))
        if action is None or action.dest in ("help", "config"):
            parser.error(f"{source}: {key!r} is not a flag of `{parser.prog}`")
        defaults[action.dest] = _checked(parser, action, key, value, source)
        action.required = False
    parser.set_defaults(**defaults)


def _checked(parser: argparse.ArgumentParser, action: argparse.Action, key: str, value, source):
    """`value` as the flag would have parsed it; a value of another type is an error, not a guess."""
    if action.nargs == 0:  # store_true
        if not isinstance(value, bool):
            parser.error(f"{source}: {key} must be true or false, not {value!r}")
        return value
    if action.nargs in ("+", "*"):
        if not isinstance(value, list):
            parser.error(f"{source}: {key} must be a list, not {value!r}")
        return [_one(parser, action, key, item, source) for item in value]
    return _one(parser, action, key, value, source)


def _one(parser: argparse.ArgumentParser, action: argparse.Action, key: str, value, source):
    if isinstance(value, bool):
        parser.error(f"{source}: {key} takes a value, not {value!r}")
    if action.type is int:
        if not isinstance(value, int):
            parser.error(f"{source}: {key} must be an integer, not {value!r}")
        return value
    if action.type is float:
        if not isinstance(value, int | float):
            parser.error(f"{source}: {key} must be a number, not {value!r}")
        return float(value)
    if not isinstance(value, str):
        parser.error(f"{source}: {key} must be a string, not {value!r}")
    return action.type(value) if callable(action.type) else value
