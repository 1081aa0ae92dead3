"""MkDocs hooks: pages generated from the code at build time, so they cannot drift from it.

- ``<!-- config-reference ... -->`` becomes the table of every config key (``evogan.config.config_reference``);
- ``<!-- api-reference -->`` becomes one mkdocstrings block per public module of the packages;
- ``<!-- readme -->`` becomes the README up to its "Documentation" section (the home page is the README).
"""

from __future__ import annotations

import importlib
import pkgutil
import re
from pathlib import Path

PACKAGES = ("evogan", "operators", "fitness")
ROOT = Path(__file__).resolve().parents[1]


def modules() -> list[str]:
    """Every public module of the packages (no ``_private`` module, no ``__main__``), each package first."""
    names = []
    for package in PACKAGES:
        module = importlib.import_module(package)
        names.append(package)
        names += [info.name for info in pkgutil.walk_packages(module.__path__, f"{package}.")
                  if not any(part.startswith("_") for part in info.name.split("."))]
    return names


def api_reference() -> str:
    return "\n\n".join(f"## `{name}`\n\n::: {name}" for name in modules())


def home_page() -> str:
    """The README up to its "## Documentation" section, its links into docs/ made relative to the site."""
    readme = (ROOT / "README.md").read_text().split("\n## Documentation", 1)[0]
    return readme.replace("](docs/", "](")


def on_page_markdown(markdown: str, **_) -> str:
    if "<!-- readme -->" in markdown:
        markdown = markdown.replace("<!-- readme -->", home_page())
    if "<!-- config-reference" in markdown:
        from evogan.config import config_reference

        markdown = re.sub(r"<!-- config-reference[^>]*-->", lambda _: config_reference(), markdown)
    if "<!-- api-reference -->" in markdown:
        markdown = markdown.replace("<!-- api-reference -->", api_reference())
    return markdown
