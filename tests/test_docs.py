"""The documentation: the API reference builds from the docstrings, and the contracts page names every registry."""

from __future__ import annotations

import importlib
import re
import sys
import warnings
from pathlib import Path

import pytest

from evogan.config import Config, config_to_dict, flat_config
from evogan.registry import Registry

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "docs"))
import build as docs_build  # noqa: E402  (docs/build.py)


def _table_rows() -> list[list[str]]:
    text = (ROOT / "docs" / "extending.md").read_text()
    section = text.split("## The registries", 1)[1].split("\n## ", 1)[0]
    return [[cell.strip() for cell in line.strip("|").split("|")] for line in section.splitlines()
            if line.startswith("| `")]


def test_the_contracts_page_lists_every_registry_where_it_lives_and_its_config_key():
    found = {}
    for name in docs_build.modules():
        module = importlib.import_module(name)
        for attr, value in vars(module).items():
            if isinstance(value, Registry):
                found.setdefault(attr, set()).add(name)
    rows = _table_rows()
    assert {row[0].strip("`") for row in rows} == set(found)
    keys = set(flat_config(config_to_dict(Config())))
    for row in rows:
        registry, module = row[0].strip("`"), row[1].strip("`")
        assert module in found[registry], (registry, module)
        for key in re.findall(r"`([a-z_.]+)`", row[2]):
            assert key in keys, (registry, key)


def test_the_api_reference_builds_without_warnings(tmp_path):
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)  # pdoc warns about names that do not resolve
        names = docs_build.build(tmp_path)
    assert {"evogan", "evogan.compare", "evogan.export", "operators", "fitness"} <= set(names)
    assert "evogan.__main__" not in names
    pages = {p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*.html")}
    assert {"index.html", "evogan.html", "evogan/compare.html", "operators.html", "fitness.html"} <= pages
    assert len(pages) >= len(names)
    compare_page = (tmp_path / "evogan" / "compare.html").read_text()
    assert "welch_interval" in compare_page and "Holm" in compare_page
    top = (tmp_path / "evogan.html").read_text()
    assert "load_run" in top and "export_generator" in top  # the lazily imported names are documented


pytestmark = pytest.mark.timeout(300)
