"""MkDocs hooks: pages generated from the code at build time, so they cannot drift from it.

- ``<!-- config-reference ... -->`` becomes the table of every config key (``evogan.config.config_reference``);
- ``<!-- api-reference -->`` becomes one mkdocstrings block per public module of the packages.
"""

from __future__ import annotations

import importlib
import pkgutil
import re

PACKAGES = ("evogan", "operators", "fitness")


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


def on_page_markdown(markdown: str, **_) -> str:
    if "<!-- config-reference" in markdown:
        from evogan.config import config_reference

        markdown = re.sub(r"<!-- config-reference[^>]*-->", lambda _: config_reference(), markdown)
    if "<!-- api-reference -->" in markdown:
        markdown = markdown.replace("<!-- api-reference -->", api_reference())
    return markdown
