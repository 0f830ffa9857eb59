"""The real layers (built once, cached in build/) and the stack synthesized from them."""

import os

import pytest

os.environ.setdefault("JSII_SILENCE_WARNING_UNTESTED_NODE_VERSION", "1")


@pytest.fixture(scope="session")
def arm64_layers():
    """What `python -m layers.build` builds for the stack: the arm64 dependencies layer for
    Python 3.13, the model layer and the function code."""
    from layers.build import (
        LAMBDA_RUNTIME_PYTHON,
        Target,
        build_dependencies_layer,
        build_model_layer,
        build_tracing_layer,
        stage_function_code,
    )

    return {
        "dependencies": build_dependencies_layer(Target("arm64", LAMBDA_RUNTIME_PYTHON)),
        "model": build_model_layer(),
        "function code": stage_function_code(),
        "tracing": build_tracing_layer(Target("arm64", LAMBDA_RUNTIME_PYTHON)),
    }


@pytest.fixture(scope="session")
def synthesized(arm64_layers, tmp_path_factory):
    """The default stack, synthesized in-process with cdk-nag's AwsSolutions checks."""
    from infrastructure.app import make_app

    app, stack = make_app(outdir=str(tmp_path_factory.mktemp("cdk.out")))
    app.synth()
    return stack
