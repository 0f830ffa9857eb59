"""torch lives in the `train` extra: the service never imports it, nor training/."""

import subprocess
import sys

from conftest import REPO


def test_engine_handlers_and_cli_never_import_torch():
    code = (
        "import sys, ocr_engine, ocr_engine.cli, ocr_engine.trained_pack, ocr_engine.engine, handler.s3, handler.api\n"
        "leaked = sorted(m for m in ('torch', 'training') if m in sys.modules)\n"
        "print(','.join(leaked))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.strip() == ""
