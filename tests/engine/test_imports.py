"""The engine and the code around it stay layered (issue 24): no import cycles, the engine
never imports training, the handlers, the build tools (but `ocr pack build`, inside the
command) or the tests; the handlers never import training or the build tools; bench/ never
imports tests/; no module over 300 lines, none in handler/ over 200."""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]  # read, never imported: a cycle would fail at import

PACKAGES = ("ocr_engine", "ocr_build", "layers", "bench", "testkit", "handler", "training", "infrastructure")
BENCH_SCRIPTS = {path.stem for path in (ROOT / "bench").glob("*.py")}  # run as scripts: they import each other bare


def modules() -> dict[str, ast.Module]:
    found = {}
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            if ".venv" in path.parts:  # bench/run's environment for the peers (git-ignored)
                continue
            parts = list(path.relative_to(ROOT).with_suffix("").parts)
            name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
            found[name] = (path, ast.parse(path.read_text(encoding="utf-8")))
    return found


def imports(name: str, path, tree: ast.Module) -> list[tuple[str, bool]]:
    """(imported module, at load time) for every import in `tree`, relative ones resolved."""
    at_load = {id(node) for node in tree.body}
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = name.split(".") if path.name == "__init__.py" else name.split(".")[:-1]
            module = ".".join(base[: len(base) - node.level + 1] + [node.module or ""]).strip(".") if node.level \
                else node.module
            targets = [module] + [f"{module}.{alias.name}" for alias in node.names]
        else:
            continue
        for target in targets:
            if name.startswith("bench.") and target.split(".")[0] in BENCH_SCRIPTS:
                target = f"bench.{target}"
            found.append((target, id(node) in at_load))
    return found


@pytest.fixture(scope="module")
def graph() -> dict[str, set[str]]:
    found = modules()

    def resolve(target: str) -> str | None:
        while target and target not in found:
            target = target.rpartition(".")[0]
        return target or None

    edges = {name: set() for name in found}
    for name, (path, tree) in found.items():
        for target, _ in imports(name, path, tree):
            module = resolve(target)
            if module and module != name:
                edges[name].add(module)
    return edges


def test_no_import_cycles(graph):
    done, cycles = set(), []

    def visit(name: str, trail: list[str]) -> None:
        if name in trail:
            cycles.append(trail[trail.index(name):] + [name])
            return
        if name in done:
            return
        for dependency in sorted(graph[name]):
            visit(dependency, trail + [name])
        done.add(name)

    for name in sorted(graph):
        visit(name, [])
    assert cycles == []


def test_the_engine_and_bench_import_only_downwards():
    wrong = []
    for name, (path, tree) in modules().items():
        for target, at_load in imports(name, path, tree):
            top = target.split(".")[0]
            if name.startswith("ocr_engine") and (top in ("training", "handler", "tests", "bench", "testkit")
                                                  or top == "ocr_build" and (at_load or name != "ocr_engine.cli")):
                wrong.append(f"{name} -> {target}")
            if name.startswith("handler") and top in ("training", "ocr_build", "tests", "bench", "testkit"):
                wrong.append(f"{name} -> {target}")
            if name.startswith(("bench", "testkit", "ocr_build", "layers", "training", "infrastructure")) \
                    and top == "tests" or name.startswith(("testkit", "ocr_build", "layers")) and top == "training":
                wrong.append(f"{name} -> {target}")
    assert wrong == []


def test_no_module_over_300_lines():
    lengths = {name: len(path.read_text(encoding="utf-8").splitlines()) for name, (path, _) in modules().items()}
    assert {name: n for name, n in lengths.items() if n > 300} == {}


def test_no_handler_module_over_200_lines():
    lengths = {name: len(path.read_text(encoding="utf-8").splitlines()) for name, (path, _) in modules().items()
               if name.startswith("handler")}
    assert {name: n for name, n in lengths.items() if n > 200} == {}
