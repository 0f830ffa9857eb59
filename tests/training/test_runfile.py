"""A run is a file: training/configs/NAME.toml holds a run's flags, `--config` reads them,
and flags on the command line still win."""

import dataclasses
from pathlib import Path

import pytest

from training.__main__ import parse, train_config
from training.runfile import CONFIGS, command_of, read_run_file

REPO = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("path", sorted(CONFIGS.glob("*.toml")), ids=lambda path: path.stem)
def test_every_committed_run_file_parses_as_its_command(path):
    args = parse(["--config", path.stem])

    assert args.command == command_of(read_run_file(path))
    if args.command == "train":
        assert train_config(args).run_dir == f"training/runs/{path.stem.removesuffix('-continue')}"


def test_the_shipped_run_file_gives_the_committed_checkpoints_config():
    import torch

    recorded = torch.load(REPO / "training/models/crnn-zh-v1.ckpt.pt", map_location="cpu", weights_only=False)["config"]
    config = dataclasses.asdict(train_config(parse(["train", "--config", "crnn-v4"])))

    local = {"eval_dir", "cache_dir"}  # where this checkout keeps the dev lines and the wheel
    assert {name: config[name] for name in recorded if name not in local} == \
        {name: value for name, value in recorded.items() if name not in local}


def test_flags_on_the_command_line_override_the_file():
    args = parse(["train", "--config", "crnn-v4", "--lr", "0.5", "--run", "elsewhere", "--threads", "1", "--resume"])

    assert (args.lr, args.run, args.threads, args.resume) == (0.5, Path("elsewhere"), 1, True)
    assert (args.frozen_blocks, args.condense_share, args.data) == (6, 0.35, Path("training/runs/shards"))


def test_a_config_path_works_as_a_name_and_given_first_picks_its_command(tmp_path):
    path = tmp_path / "mine.toml"
    path.write_text('command = "domain"\nfrom = "crnn-zh-v1"\ncharset = "c.txt"\ncorpus = "d.txt"\nsteps = 12\n')

    args = parse(["--config", str(path)])

    assert (args.command, args.base, args.charset, args.steps) == ("domain", "crnn-zh-v1", Path("c.txt"), 12)
    assert args.batch_size == 16  # not in the file: the flag's default


@pytest.mark.parametrize("text", ['lr = "fast"', "steps = 1.5", "frozen_blocks = true", "resume = 1",
                                  "learning_rate = 0.1", 'command = "domain"'])
def test_a_run_file_with_an_unknown_flag_or_a_wrong_type_is_refused(tmp_path, text, capsys):
    path = tmp_path / "bad.toml"
    path.write_text(f'run = "r"\ndata = "d"\n{text}\n')

    with pytest.raises(SystemExit) as stopped:
        parse(["train", "--config", str(path)])

    assert stopped.value.code == 2
    assert "bad.toml" in capsys.readouterr().err


def test_without_a_run_file_the_run_and_data_flags_stay_required(capsys):
    with pytest.raises(SystemExit):
        parse(["train", "--run", "r"])

    assert "the following arguments are required: --data" in capsys.readouterr().err
