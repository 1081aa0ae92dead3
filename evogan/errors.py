"""Errors that reach the user as one line (no torch import: the CLI catches them before loading anything heavy)."""

__all__ = ["TrainingFailed"]


class TrainingFailed(RuntimeError):
    """A run that cannot go on (training diverged, parallel workers cannot start), phrased as one line."""
