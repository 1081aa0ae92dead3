"""Optional TensorBoard event files (``log.tensorboard = true``).

- Scalars: every finite number of a logbook or metrics row under ``group/key``, except
  a series that has never changed (a constant is not a curve). A series is held back
  while it keeps its first value; when it first changes, its held first and last
  constant points are written, so step shapes stay exact, and from then on every point.
- Images: sample grids (image data) and a scatter of the samples over the mode
  centres (2-D data), at every evaluation.
- Hyperparameters: the resolved config (flattened; lists as text) with the final
  metrics declared, for TensorBoard's HParams dashboard, written when the run closes
  (a final metric that never changed gets its one point then, at its last step).
"""

from __future__ import annotations

import math
from pathlib import Path

from ..config import ConfigError

__all__ = ["TensorBoardLog", "require_tensorboard"]

#: keys that repeat the step itself
_STEP_KEYS = {"gen", "generation"}


def require_tensorboard():
    try:
        from torch.utils.tensorboard import SummaryWriter
    except ImportError:
        raise ConfigError(
            "log.tensorboard: the tensorboard package is not installed; pip install 'evogan[tensorboard]' "
            "or set log.tensorboard = false"
        ) from None
    return SummaryWriter


def _number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


class TensorBoardLog:
    """The event files of one run (see the module docstring)."""

    def __init__(self, directory: Path):
        self.writer = require_tensorboard()(str(directory))
        self.held: dict[str, tuple[int, float, int]] = {}  # tag → (first step, its value, last step still equal)
        self.live: set[str] = set()

    def scalars(self, group: str, row: dict, step: int) -> None:
        for key, value in row.items():
            if key in _STEP_KEYS or not _number(value):
                continue
            tag = f"{group}/{key}"
            if tag in self.live:
                self.writer.add_scalar(tag, value, step)
            elif tag not in self.held:
                self.held[tag] = (step, value, step)
            elif self.held[tag][1] == value:
                self.held[tag] = (self.held[tag][0], value, step)
            else:
                first, constant, last = self.held.pop(tag)
                for at in dict.fromkeys((first, last)):
                    self.writer.add_scalar(tag, constant, at)
                self.writer.add_scalar(tag, value, step)
                self.live.add(tag)
        self.writer.flush()

    def image(self, tag: str, grid, step: int) -> None:
        self.writer.add_image(tag, grid, step)
        self.writer.flush()

    def figure(self, tag: str, figure, step: int) -> None:
        """A matplotlib figure as an image (closed afterwards)."""
        self.writer.add_figure(tag, figure, step, close=True)
        self.writer.flush()

    def hparams(self, config: dict, final: dict) -> None:
        """The flattened config as hyperparameters, the final metrics (logged under ``metrics/``) as their results."""
        from torch.utils.tensorboard.summary import hparams

        values = {key: value if isinstance(value, (bool, int, float, str)) else str(value)
                  for key, value in config.items()}
        from ..metrics import DESCRIPTIVE_KEYS

        metrics = {f"metrics/{key}": value for key, value in final.items()
                   if key not in DESCRIPTIVE_KEYS and _number(value)}
        for tag in metrics.keys() & self.held.keys():  # a metric that never changed: one point (no curve) to show
            self.writer.add_scalar(tag, self.held[tag][1], self.held[tag][2])
        for summary in hparams(values, metrics):
            self.writer.file_writer.add_summary(summary)
        self.writer.flush()

    def close(self) -> None:
        self.writer.close()
