"""The package layout: no import circle (no module imports, at any depth and even inside a function, a module that
imports it back: a lazy import hides a circle from Python, not from a reader), old import paths kept, and runs/
shipped inside the wheel as evogan.presets."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from evogan._moved import MOVED

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("evogan", "operators", "fitness")


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports_of(path: Path, modules: set[str]) -> set[str]:
    """The project modules ``path`` imports anywhere in its body (relative imports resolved; ``from package import
    name`` counts the submodule when ``name`` is one)."""
    name = module_name(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                stem = ".".join(base + ([node.module] if node.module else []))
            else:
                stem = node.module or ""
            submodules = [f"{stem}.{alias.name}" for alias in node.names if f"{stem}.{alias.name}" in modules]
            # `from . import kit` imports the submodule; the package itself only for names that are not modules
            targets = submodules + ([stem] if len(submodules) < len(node.names) else [])
        else:
            continue
        for target in targets:
            while target and target not in modules:
                target = target.rpartition(".")[0]
            if target and target != name:
                found.add(target)
    return found


def unresolved_relative_imports() -> list[str]:
    """``from .x import y`` lines whose module ``x`` does not exist (they fail only when the line runs)."""
    files = [p for package in PACKAGES for p in (ROOT / package).rglob("*.py")]
    modules = {module_name(p) for p in files}
    missing = []
    for path in files:
        name = module_name(path)
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                stem = ".".join(base + ([node.module] if node.module else []))
                if stem not in modules:
                    missing.append(f"{path.relative_to(ROOT)}:{node.lineno}: {stem}")
    return missing


def import_graph() -> dict[str, set[str]]:
    files = [p for package in PACKAGES for p in (ROOT / package).rglob("*.py")]
    modules = {module_name(p) for p in files}
    return {module_name(p): imports_of(p, modules) for p in files}


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """One shortest circle through each module that lies on one (breadth-first from the module back to itself)."""
    found = []
    for start in sorted(graph):
        paths, seen = [[start]], {start}
        while paths:
            nxt = []
            for path in paths:
                for target in sorted(graph[path[-1]]):
                    # a package importing its own submodules (its __init__ re-exporting them) is not a circle
                    if target == start and not (path[-1] == start and target.startswith(start + ".")):
                        found.append(path + [start])
                        nxt = []
                        break
                    if target not in seen and not start.startswith(target + "."):
                        seen.add(target)
                        nxt.append(path + [target])
                else:
                    continue
                break
            paths = nxt
    return found


def test_the_graph_sees_relative_and_lazy_imports():
    graph = import_graph()
    assert "evogan.config" in graph["evogan"] and "evogan.core.registry" in graph["operators.registry"]
    assert graph["evogan.runner"] & {"evogan.experiment"}


def test_no_import_circles():
    found = cycles(import_graph())
    assert not found, "import circles:\n" + "\n".join(" -> ".join(c) for c in found)


def test_every_relative_import_names_a_module():
    assert not unresolved_relative_imports()


def test_old_import_paths_still_give_the_same_objects():
    import evogan
    import evogan.adversaries as adversaries
    from evogan import adversary, began, coevolution, config, errors

    assert adversary.StandardAdversary is adversaries.StandardAdversary and adversary.ADVERSARIES is evogan.ADVERSARIES
    assert adversary.pack is adversaries.pack and adversary.Judge is adversaries.Judge
    assert began.BoundaryEquilibriumAdversary is adversaries.BoundaryEquilibriumAdversary
    assert coevolution.NeighbourhoodAdversary is adversaries.NeighbourhoodAdversary
    assert config.ConfigError is errors.ConfigError is evogan.ConfigError
    assert {"standard", "began_v3", "began_cs"} <= set(adversaries.ADVERSARIES)


@pytest.mark.parametrize("old", sorted(MOVED))
def test_every_moved_module_is_the_same_module_at_its_old_path(old):
    import importlib

    module = importlib.import_module(old)
    assert module is importlib.import_module(MOVED[old]) and module.__name__ == MOVED[old]
    assert not (ROOT / (old.replace(".", "/") + ".py")).exists()  # no shim file left behind
    package, _, leaf = old.rpartition(".")
    exec(f"from {package} import {leaf} as again", {}, scope := {})
    assert scope["again"] is module


def test_an_object_pickled_under_an_old_path_loads():
    """Checkpoints written before the move name ``evogan.individual._restore``; they load as the same class."""
    import pickle

    from evogan.core.individual import Individual

    old = pickle.dumps(Individual({}, lineage={"id": "g1"}), protocol=0).replace(b"evogan.core.individual", b"evogan.individual")
    assert b"evogan.individual" in old and b"evogan.core" not in old
    loaded = pickle.loads(old)
    assert isinstance(loaded, Individual) and loaded.lineage == {"id": "g1"}


def test_the_core_does_not_import_the_layers_above_it():
    above = ("evogan.populations", "evogan.parallel", "evogan.io", "evogan.experiment", "evogan.runner", "evogan.cli",
             "evogan.compare")
    graph = import_graph()
    wrong = {m: sorted(t for t in graph[m] if t.startswith(above)) for m in graph if m.startswith("evogan.core")}
    assert not {m: t for m, t in wrong.items() if t}


def test_every_package_folder_is_listed_for_the_wheel():
    """pyproject lists the packages (so that runs/ can ship as evogan.presets): a new folder must be added there."""
    try:
        import tomllib
    except ModuleNotFoundError:  # Python 3.10
        import tomli as tomllib
    listed = set(tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"])
    found = {".".join(p.parent.relative_to(ROOT).parts) for package in PACKAGES
             for p in (ROOT / package).rglob("__init__.py")}
    assert listed == found | {"evogan.presets", "evogan.assets"}  # the two data folders
    assert (ROOT / "runs" / "default.toml").is_file()


@pytest.mark.slow
def test_the_wheel_ships_runs_as_evogan_presets(tmp_path):
    import subprocess
    import sys
    import zipfile

    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w",
                    str(tmp_path), str(ROOT)], check=True, capture_output=True, timeout=300)
    (wheel,) = tmp_path.glob("evogan-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    assert {f"evogan/presets/{p.name}" for p in (ROOT / "runs").glob("*.toml")} <= names
    assert {"evogan/adversaries/__init__.py", "evogan/assets/digit_classifier.pt", "operators/__init__.py"} <= names
    assert not any(name.startswith("runs/") for name in names)
