"""The CDK app loads none of the engine: the stack takes the functions' environment and the
settings' defaults from handler/lambda_env.py, which imports nothing heavy."""

import subprocess
import sys

from tests.conftest import ROOT

HEAVY = ("onnxruntime", "cv2")


def test_importing_the_stack_loads_neither_onnx_runtime_nor_opencv():
    probe = f"import sys, infrastructure.stack; print(sorted(m for m in {HEAVY!r} if m in sys.modules))"
    run = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr[-3000:]
    assert run.stdout.strip().splitlines()[-1] == "[]"
