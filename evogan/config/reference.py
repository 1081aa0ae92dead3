"""The config reference (``evogan config --reference``, the manual's config page), generated from the schema."""

from __future__ import annotations

import dataclasses

import tomli_w

from .schema import Config
from .validation import _field_types, _range_text

__all__ = ["config_reference"]


def config_reference() -> str:
    """The config reference as Markdown tables, generated from the field metadata."""
    lines = []

    def table(cls, prefix):
        rows = ["| key | default | allowed | meaning |", "| --- | --- | --- | --- |"]
        types = _field_types(cls)
        subs = []
        for f in dataclasses.fields(cls):
            if dataclasses.is_dataclass(types[f.name]):
                subs.append((types[f.name], prefix + f.name + "."))
                continue
            default = f.default_factory() if f.default_factory is not dataclasses.MISSING else f.default
            meta = f.metadata
            if meta.get("choices"):
                allowed = " / ".join(map(str, meta["choices"]))
            elif meta.get("lo") is not None or meta.get("hi") is not None:
                allowed = _range_text(meta)
            else:
                allowed = getattr(types[f.name], "__name__", str(types[f.name]))
            shown = tomli_w.dumps({"v": default})[4:].strip()
            if isinstance(default, list):  # tomli_w writes lists over several lines: one line in a table cell
                shown = "[" + ", ".join(tomli_w.dumps({"v": item})[4:].strip() for item in default) + "]"
            rows.append(f"| `{prefix}{f.name}` | `{shown}` | {allowed} | {meta['doc']} |")
        return rows, subs

    rows, subs = table(Config, "")
    lines += rows
    for cls, prefix in subs:
        sub_rows, _ = table(cls, prefix)
        lines += ["", f"`[{prefix.rstrip('.')}]`", ""] + sub_rows
    return "\n".join(lines)
