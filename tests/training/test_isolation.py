"""torch lives in the `train` extra: the service never imports it, nor training/."""

import subprocess
import sys

from conftest import REPO


def test_engine_handlers_cli_and_pack_builders_never_import_torch():
    code = (
        "import sys, ocr_engine, ocr_engine.cli, ocr_build.trained_pack, ocr_engine.engine, handler.s3, handler.api\n"
        "leaked = sorted(m for m in ('torch', 'training') if m in sys.modules)\n"
        "print(','.join(leaked))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.strip() == ""


def test_training_is_an_entry_point_of_its_own():
    """`ocr-train` (pyproject's console script) and `python -m training` run training; `ocr`
    has no train command, so the engine never imports training."""
    import tomllib

    scripts = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["scripts"]
    assert scripts == {"ocr": "ocr_engine.cli:main", "ocr-train": "training.__main__:main"}
    helped = subprocess.run([sys.executable, "-m", "training", "--help"], cwd=REPO, capture_output=True, text=True,
                            timeout=120)
    assert helped.returncode == 0 and "domain" in helped.stdout, helped.stderr[-2000:]
    refused = subprocess.run([sys.executable, "-m", "ocr_engine.cli", "train", "--help"], cwd=REPO,
                             capture_output=True, text=True, timeout=120)
    assert refused.returncode == 2 and "invalid choice: 'train'" in refused.stderr
