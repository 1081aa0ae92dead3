"""Optional TensorBoard event files (``log.tensorboard = true``): scalars and sample grids."""

from __future__ import annotations

import math
from pathlib import Path

from .config import ConfigError

__all__ = ["TensorBoardLog", "require_tensorboard"]


def require_tensorboard():
    try:
        from torch.utils.tensorboard import SummaryWriter
    except ImportError:
        raise ConfigError(
            "log.tensorboard: the tensorboard package is not installed; pip install 'evogan[tensorboard]' "
            "or set log.tensorboard = false"
        ) from None
    return SummaryWriter


class TensorBoardLog:
    """Writes every finite number of a logbook or metrics row as a scalar under ``group/key``."""

    def __init__(self, directory: Path):
        self.writer = require_tensorboard()(str(directory))

    def scalars(self, group: str, row: dict, step: int) -> None:
        for key, value in row.items():
            if isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value):
                self.writer.add_scalar(f"{group}/{key}", value, step)
        self.writer.flush()

    def image(self, tag: str, grid, step: int) -> None:
        self.writer.add_image(tag, grid, step)
        self.writer.flush()

    def close(self) -> None:
        self.writer.close()
