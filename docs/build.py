"""Build the API reference from the docstrings with pdoc: ``python docs/build.py [--out docs/api]``.

Needs ``pip install -e ".[docs]"``. Every module of ``evogan``, ``operators`` and ``fitness`` gets a page;
``docs/extending.md`` is the hand-written guide to the extension points' contracts.
"""

from __future__ import annotations

import argparse
import importlib
import pkgutil
from pathlib import Path

PACKAGES = ("evogan", "operators", "fitness")


def modules() -> list[str]:
    """Every importable module of the packages, the packages first."""
    names = []
    for package in PACKAGES:
        module = importlib.import_module(package)
        names.append(package)
        names += [info.name for info in pkgutil.walk_packages(module.__path__, f"{package}.")
                  if not info.name.endswith("__main__")]  # importing it would run the CLI
    return names


def build(out: Path) -> list[str]:
    import pdoc

    names = modules()
    for module in map(importlib.import_module, names):  # lazily imported names (PEP 562) resolve before pdoc reads
        for name in getattr(module, "__all__", ()):
            if name not in vars(module) and hasattr(module, name):
                setattr(module, name, getattr(module, name))
    pdoc.render.configure(docformat="restructuredtext", footer_text="evogan API reference")
    pdoc.pdoc(*names, output_directory=out)
    return names


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=str(Path(__file__).parent / "api"))
    out = Path(parser.parse_args().out)
    print(f"{len(build(out))} modules documented in {out}/index.html")
