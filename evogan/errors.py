"""Errors that reach the user as one line (no torch import: the CLI catches them before loading anything heavy)."""

__all__ = ["ConfigError", "TrainingFailed", "IslandLost", "OperatorContractError"]


class ConfigError(ValueError):
    """A config problem, phrased as one line that names the key."""


class TrainingFailed(RuntimeError):
    """A run that cannot go on (training diverged, parallel workers cannot start), phrased as one line."""


class IslandLost(TrainingFailed):
    """An island actor died (a crash, a lost node); the run's last checkpoint continues it exactly, which the runner
    does by itself up to ``parallel.max_restarts`` times."""


class OperatorContractError(TrainingFailed):
    """A registered operator (a loss, a fitness, a selection) returned what its contract does not allow; the message
    names the operator, what it returned and what it must return."""
