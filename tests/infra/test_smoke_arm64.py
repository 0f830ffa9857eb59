"""scripts/smoke-arm64 is a pre-deploy step (minutes under emulation), not a test: here only
that it is there, runnable, and that its parts parse; docs/deploy.md says when to run it."""

import os
import py_compile
import subprocess

from tests.conftest import ROOT


def test_the_script_is_there_and_executable():
    script = ROOT / "scripts" / "smoke-arm64"
    assert script.is_file() and os.access(script, os.X_OK)
    assert subprocess.run(["bash", "-n", str(script)], capture_output=True).returncode == 0
    assert "layers.smoke" in script.read_text()


def test_the_driver_compiles_and_the_fake_cpuinfo_is_an_arm64_ones(tmp_path):
    from layers import smoke

    py_compile.compile(str(ROOT / "layers" / "smoke_driver.py"), cfile=str(tmp_path / "driver.pyc"), doraise=True)
    assert smoke.CPUINFO.count("CPU implementer\t: 0x41") == 2  # two Arm Neoverse N1 cores
    assert smoke.ROOTS[0] == "python3.13-minimal"  # the runtime's minor version


def test_deploy_docs_say_when_to_run_it():
    assert "## Before a deploy: `scripts/smoke-arm64`" in (ROOT / "docs" / "deploy.md").read_text()
