"""The two layers every function gets, the Python dependencies and the model pack, and the
tracing layer (the X-Ray SDK) that both get when the stack's `tracing` prop is on. Their
folders are built by `python -m layers.build`; synth checks they are there and fit."""

from __future__ import annotations

from pathlib import Path

from aws_cdk import aws_lambda as lambda_
from constructs import Construct

from layers.build import LAMBDA_UNZIPPED_LIMIT, check_total

BUILD_HINT = "build it with `.venv/bin/python -m layers.build` (README: Deploy)"


def require_folder(path: Path, must_hold: str, what: str) -> Path:
    path = Path(path)
    if not (path / must_hold).exists():
        raise SystemExit(f"the {what} is not at {path} (no {must_hold} inside): {BUILD_HINT}")
    return path


class DependenciesLayer(Construct):
    """`python/` of the layer folder, on sys.path as /opt/python."""

    def __init__(self, scope: Construct, id: str, *, folder: Path, architecture: lambda_.Architecture,
                 runtime: lambda_.Runtime) -> None:
        super().__init__(scope, id)
        self.folder = require_folder(folder, "python/onnxruntime", "dependencies layer")
        self.layer = lambda_.LayerVersion(
            self, "Layer",
            code=lambda_.Code.from_asset(str(self.folder)),
            compatible_architectures=[architecture],
            compatible_runtimes=[runtime],
            description="OCR service: Python dependencies (onnxruntime, opencv, numpy, FastAPI, Mangum...)",
        )


class TracingLayer(Construct):
    """`python/` with the X-Ray SDK (layers/tracing.py), on sys.path as /opt/python too."""

    def __init__(self, scope: Construct, id: str, *, folder: Path, architecture: lambda_.Architecture,
                 runtime: lambda_.Runtime) -> None:
        super().__init__(scope, id)
        self.folder = require_folder(folder, "python/aws_xray_sdk", "tracing layer")
        self.layer = lambda_.LayerVersion(
            self, "Layer",
            code=lambda_.Code.from_asset(str(self.folder)),
            compatible_architectures=[architecture],
            compatible_runtimes=[runtime],
            description="OCR service: the X-Ray SDK for Powertools' Tracer (the stack's tracing prop)",
        )


class ModelLayer(Construct):
    """`model-pack/` of the layer folder, mounted at /opt/model-pack where the engine looks."""

    def __init__(self, scope: Construct, id: str, *, folder: Path, runtime: lambda_.Runtime) -> None:
        super().__init__(scope, id)
        self.folder = require_folder(folder, "model-pack/manifest.json", "model layer")
        self.layer = lambda_.LayerVersion(
            self, "Layer",
            code=lambda_.Code.from_asset(str(self.folder)),
            compatible_runtimes=[runtime],
            description="OCR service: the model pack at /opt/model-pack",
        )


def check_unzipped_size(*folders: Path, limit: int = LAMBDA_UNZIPPED_LIMIT) -> int:
    """A function and its layers must fit Lambda's unzipped limit: fail the synth, not the deploy."""
    return check_total({Path(f).name: Path(f) for f in folders}, limit=limit, log=lambda *_: None)
