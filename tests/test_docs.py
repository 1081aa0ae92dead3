"""The documentation site builds strictly (no warning, no broken link), its generated pages are the code's, and the
contracts page names every registry."""

from __future__ import annotations

import importlib
import re
import sys
from pathlib import Path

import pytest

from evogan.config import Config, config_reference, config_to_dict, flat_config
from evogan.core.registry import Registry

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "docs"))
import hooks as docs_hooks  # noqa: E402  (docs/hooks.py)


def _table_rows() -> list[list[str]]:
    text = (ROOT / "docs" / "extending.md").read_text()
    section = text.split("## The registries", 1)[1].split("\n## ", 1)[0]
    return [[cell.strip() for cell in line.strip("|").split("|")] for line in section.splitlines()
            if line.startswith("| `")]


def test_the_contracts_page_lists_every_registry_where_it_lives_and_its_config_key():
    found = {}
    for name in docs_hooks.modules():
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


def test_every_module_of_the_api_reference_is_public_and_importable():
    names = docs_hooks.modules()
    assert {"evogan", "evogan.compare", "evogan.io.export", "evogan.adversaries", "operators", "fitness"} <= set(names)
    assert not any(part.startswith("_") for name in names for part in name.split("."))
    assert "## `evogan.compare`\n\n::: evogan.compare" in docs_hooks.api_reference()


def _python_block(text: str, after: str) -> str:
    return text.split(after, 1)[1].split("```python\n", 1)[1].split("```", 1)[0]


def test_the_readme_python_example_runs_as_written_at_a_tiny_budget(capsys):
    readme = (ROOT / "README.md").read_text()
    code = _python_block(readme, "## In Python")
    assert code == _python_block(docs_hooks.home_page(), "## In Python")  # the site's home page is the README
    assert "generations=300" in code
    exec(compile(code.replace("generations=300", "generations=3"), "README.md", "exec"), {})
    printed = capsys.readouterr().out
    assert "modes_covered" in printed and "high_quality" in printed


def test_readme_links_point_at_files_that_exist():
    readme = (ROOT / "README.md").read_text()
    targets = [t.split("#")[0] for t in re.findall(r"\]\(([^)]+)\)", readme) if not t.startswith("http")]
    assert targets and all((ROOT / t).exists() for t in targets), [t for t in targets if not (ROOT / t).exists()]


@pytest.mark.slow
def test_the_site_builds_strictly_with_the_generated_pages(tmp_path):
    """`mkdocs build --strict`: a broken link, a missing page or image, or a docstring mkdocstrings cannot read fails."""
    from mkdocs.commands.build import build
    from mkdocs.config import load_config

    config = load_config(str(ROOT / "mkdocs.yml"), site_dir=str(tmp_path / "site"))
    build(config)
    site = tmp_path / "site"
    reference = (site / "config" / "index.html").read_text()
    for key in re.findall(r"^\| `([a-z_.]+)` \|", config_reference(), flags=re.M):
        assert f"<code>{key}</code>" in reference, key
    api = (site / "api" / "index.html").read_text()
    assert "welch_interval" in api and "Holm" in api and "load_run" in api and "StandardAdversary" in api
    assert not list(site.rglob("*.py"))  # the hooks stay out of the site
    home = (site / "index.html").read_text()
    assert "Quick start" in home and "img/grid_contrast.png" in home and "This manual" in home  # the README, re-rooted


pytestmark = pytest.mark.timeout(300)
