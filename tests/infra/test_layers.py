"""The layers: the arm64 build fits Lambda, and the same recipe built for this machine
(x86_64, this Python) reads text in a clean interpreter that sees only the layers, a
stand-in for the runtime's AWS SDK and the function code: proof that the trims removed
nothing the functions import."""

import base64
import io
import json
import subprocess
import sys

import pytest
from PIL import Image

from tests.conftest import SAMPLES

ELF_MACHINE = {183: "aarch64", 62: "x86_64"}


def elf_machine(path) -> str:
    header = path.read_bytes()[:20]
    assert header[:4] == b"\x7fELF", path
    return ELF_MACHINE.get(int.from_bytes(header[18:20], "little"), "?")


def test_the_arm64_layers_and_function_fit_lambdas_250_mb(arm64_layers):
    from layers.build import LAMBDA_UNZIPPED_LIMIT, check_total

    total = check_total(arm64_layers)
    assert total <= LAMBDA_UNZIPPED_LIMIT


def test_the_arm64_dependencies_layer_holds_aarch64_binaries_for_python_3_13(arm64_layers):
    site = arm64_layers["dependencies"] / "python"
    (binding,) = (site / "onnxruntime" / "capi").glob("onnxruntime_pybind11_state*.so")
    assert "cpython-313-aarch64" in binding.name and elf_machine(binding) == "aarch64"
    assert not list((site / "onnxruntime" / "capi").glob("libonnxruntime.so*"))  # trimmed
    assert not (site / "boto3").exists() and not (site / "uvicorn").exists() and not (site / "tqdm").exists()
    assert not list(site.rglob("__pycache__"))


def test_the_model_layer_mounts_the_default_pack_at_opt_model_pack(arm64_layers):
    from ocr_engine.packs import DEFAULT_PACK, ModelPack

    pack = ModelPack.load(arm64_layers["model"] / "model-pack")
    assert pack.name == DEFAULT_PACK and pack.has_fallback


def test_the_function_code_is_the_handlers_and_the_engine_only(arm64_layers):
    code = arm64_layers["function code"]
    assert sorted(p.name for p in code.iterdir()) == ["handler", "ocr_engine"]
    assert not list(code.rglob("__pycache__"))


def test_the_function_code_carries_no_pack_building_code(tmp_path):
    """Building packs (ocr_build/: wheels, quantization, calibration, trained packs) happens on
    the build machine: the staged function code holds none of it, no module there imports it
    at load time (only `ocr pack build`, inside the command), and nothing there imports onnx,
    which only pack building needs, or training."""
    import ast

    from layers.build import stage_function_code

    code = stage_function_code(tmp_path / "function")
    assert sorted(p.name for p in code.iterdir()) == ["handler", "ocr_engine"]
    defined, anywhere, at_load = set(), {}, {}
    for path in sorted(code.rglob("*.py")):
        module = path.relative_to(code).as_posix()
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
                defined.add(node.name)
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else \
                [node.module] if isinstance(node, ast.ImportFrom) and node.level == 0 else []
            for name in names:
                anywhere.setdefault(name.split(".")[0], set()).add(module)
                if node in tree.body:
                    at_load.setdefault(name.split(".")[0], set()).add(module)
    assert not {"build_pack", "build_trained_pack", "quantize", "find_fonts", "Recipe"} & defined
    assert "ocr_build" not in at_load and anywhere.get("ocr_build") == {"ocr_engine/cli.py"}
    assert "onnx" not in anywhere and "training" not in anywhere


def test_the_size_check_fails_loudly_over_the_limit(tmp_path):
    from layers.build import TooLarge, check_total

    (tmp_path / "big").write_bytes(b"")
    with open(tmp_path / "big", "wb") as handle:
        handle.truncate(300_000_000)  # sparse: counts, costs no disk
    with pytest.raises(TooLarge, match="over Lambda's"):
        check_total({"deps": tmp_path}, log=lambda *_: None)


# --- the x86_64 proof --------------------------------------------------------------------

PROOF = r"""
import contextlib, json, os, sys
sys.path[:0] = json.loads(os.environ["PROOF_PATH"])
from handler.api import handler

class Context:
    aws_request_id = "proof"
    function_name = "ApiFunction"
    def get_remaining_time_in_millis(self): return 29000

out = {}
for name, event in json.loads(sys.stdin.read()).items():
    with contextlib.redirect_stdout(sys.stderr):  # the EMF metrics: stdout is this proof's answer
        response = handler(event, Context())
    binary = response.get("isBase64Encoded", False)  # a PDF: the test decodes it
    out[name] = {"status": response["statusCode"], "binary": binary,
                 "body": response["body"] if binary else json.loads(response["body"])}
allowed = tuple(json.loads(os.environ["PROOF_PATH"])) + (sys.base_prefix,)
out["outside"] = sorted({m.__name__.split(".")[0] for m in list(sys.modules.values())
                         if getattr(m, "__file__", None) and not m.__file__.startswith(allowed)})
out["sys_path"] = sys.path
print(json.dumps(out))
"""


def rest_event(body: bytes, content_type: str, path: str = "/api/v1/ocr", query: dict | None = None) -> dict:
    event = json.loads((SAMPLES.parent / "events" / "api-rest-post.json").read_text())
    event.update(path=path, body=base64.b64encode(body).decode(), isBase64Encoded=True,
                 headers={"content-type": content_type}, multiValueHeaders={"content-type": [content_type]},
                 queryStringParameters=query,
                 multiValueQueryStringParameters={k: [v] for k, v in (query or {}).items()})
    return event


@pytest.fixture(scope="module")
def local_arch_layer():
    """The same recipe (requirements, trims) for this machine and this Python."""
    import platform

    from layers.build import Target, build_dependencies_layer, build_model_layer, build_runtime_sdk, stage_function_code

    arch = {"x86_64": "x86_64", "aarch64": "arm64"}[platform.machine()]
    target = Target(arch, f"{sys.version_info.major}.{sys.version_info.minor}")
    return {
        "dependencies": build_dependencies_layer(target) / "python",
        "sdk": build_runtime_sdk(target) / "python",
        "model": build_model_layer() / "model-pack",
        "code": stage_function_code(),
    }


def test_the_trimmed_layer_reads_an_image_and_a_pdf_in_a_clean_interpreter(local_arch_layer, engine, tmp_path):
    from handler.invoke import lambda_environment

    receipt = Image.open(SAMPLES / "receipt.png").convert("RGB")
    pdf = io.BytesIO()
    receipt.save(pdf, format="PDF", resolution=200)
    events = {
        "line": json.loads((SAMPLES.parent / "events" / "api-rest-post.json").read_text()),
        "receipt": rest_event((SAMPLES / "receipt.png").read_bytes(), "image/png"),
        "pdf": rest_event(pdf.getvalue(), "application/pdf"),
        "searchable": rest_event(pdf.getvalue(), "application/pdf", query={"format": "pdf"}),  # pikepdf, qpdf
        "healthz": json.loads((SAMPLES.parent / "events" / "api-rest-healthz.json").read_text()),
    }
    path = [str(local_arch_layer[k]) for k in ("code", "dependencies", "sdk")]
    env = lambda_environment("api", pack=local_arch_layer["model"], overrides={"OCR_THREADS": "2"})
    env["PROOF_PATH"] = json.dumps(path)
    # -I: no PYTHON* variables, no user site; -S: no site-packages (so not .venv's): the stdlib only
    run = subprocess.run([sys.executable, "-I", "-S", "-c", PROOF], input=json.dumps(events), env=env,
                         capture_output=True, text=True, cwd=tmp_path, timeout=300)
    assert run.returncode == 0, run.stderr[-3000:]
    out = json.loads(run.stdout)

    assert out["outside"] == [], "imported from outside the layers and the stdlib"
    assert not any("site-packages" in p for p in out["sys_path"])
    assert out["healthz"]["status"] == 200
    assert out["line"]["status"] == 200
    assert out["line"]["body"]["text"] == engine.read((SAMPLES / "line.png").read_bytes(), mode="line").text
    expected = engine.read((SAMPLES / "receipt.png").read_bytes()).text
    assert out["receipt"]["status"] == 200 and out["receipt"]["body"]["text"] == expected
    assert out["pdf"]["status"] == 200 and len(out["pdf"]["body"]["pages"]) == 1
    assert out["pdf"]["body"]["text"] == engine.read_document(pdf.getvalue()).text
    assert "Corner Shop Receipt" in out["pdf"]["body"]["text"]  # samples/make_samples.py drew it
    assert out["searchable"]["status"] == 200 and out["searchable"]["binary"]
    import pypdfium2

    searchable = pypdfium2.PdfDocument(base64.b64decode(out["searchable"]["body"]))
    assert "Corner Shop Receipt" in searchable[0].get_textpage().get_text_range()
