"""What a layer is built for (Target: Lambda's architecture and Python) and where each
part of the build goes under build/."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BUILD = ROOT / "build"

# 3.13, not 3.12: scripts/smoke-arm64 runs the layer under an arm64 CPython of the runtime's
# minor version, and Debian has 3.13 (trixie) but no 3.12 (bookworm has 3.11)
LAMBDA_RUNTIME_PYTHON = "3.13"
DEFAULT_ARCH = "arm64"  # x86_64 is over the 250 MB limit untrimmed (bench/results/2026-11-25-layers.md)
MACHINES = {"arm64": "aarch64", "x86_64": "x86_64"}


@dataclass(frozen=True)
class Target:
    arch: str  # arm64 | x86_64 (Lambda's names)
    python_version: str  # "3.13"

    @property
    def machine(self) -> str:
        return MACHINES[self.arch]

    @property
    def platforms(self) -> list[str]:
        """Every manylinux tag up to glibc 2.28 (the runtimes have glibc 2.26 on Amazon Linux 2
        for older runtimes, 2.34 on Amazon Linux 2023 for python3.12 and 3.13): pip does not widen a
        `manylinux_2_28` tag to older ones by itself."""
        return ([f"manylinux_2_{minor}_{self.machine}" for minor in range(28, 16, -1)]
                + [f"manylinux2014_{self.machine}"])

    def pip_options(self) -> list[str]:
        options = ["--only-binary=:all:", "--implementation", "cp", "--python-version", self.python_version]
        for platform in self.platforms:
            options += ["--platform", platform]
        return options

    @property
    def name(self) -> str:
        """`arm64-cp313`: no dot, which CDK would keep as an extension of the asset's name."""
        return f"{self.arch}-cp{self.python_version.replace('.', '')}"


def layers_dir() -> Path:
    path = BUILD / "layers"
    path.mkdir(parents=True, exist_ok=True)
    return path


def dependencies_layer_dir(target: Target, trim: bool = True) -> Path:
    """The layer's root: it holds `python/`, which Lambda puts on sys.path as /opt/python."""
    return layers_dir() / f"deps-{target.name}{'' if trim else '-untrimmed'}"


def model_layer_dir() -> Path:
    """The layer's root: it holds `model-pack/`, mounted at /opt/model-pack."""
    return layers_dir() / "model"


def function_code_dir() -> Path:
    return BUILD / "function"


def runtime_sdk_dir(target: Target) -> Path:
    return layers_dir() / f"runtime-sdk-{target.name}"
