"""Output files checked before the work that fills them, so a bad ``--out`` costs one line, not a finished job."""

from __future__ import annotations

import os
from pathlib import Path

from ..config import ConfigError

__all__ = ["output_file"]


def output_file(path: str | Path, key: str = "--out", example: str = "generator.pt2") -> Path:
    """``path`` as a file that can be written: its folder is created; a folder, a folder that cannot be made (a file
    in the way) or one without write permission is a ConfigError naming ``key``."""
    out = Path(path)
    if out.is_dir():
        raise ConfigError(f"{key}: {out} is a folder; give a file name such as {out / example}")
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise ConfigError(f"{key}: {out} cannot be written: its folder {out.parent} cannot be made "
                          f"({err.strerror or err})") from None
    if not os.access(out.parent, os.W_OK):
        raise ConfigError(f"{key}: {out} cannot be written: its folder {out.parent} is not writable")
    return out
