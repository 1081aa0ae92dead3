"""A finished (or stopped) run as data, for a notebook: config, logbook, metric history, and its generators.

    run = evogan.load_run("runs/default/20261130-101500")
    run.logbook[-1]["d_loss"], run.metrics[-1]["high_quality"], run.final
    g = run.generator()          # the best survivor as a plain torch.nn.Module (eval mode)
    x = g(torch.randn(16, run.config.latent_dim))

Everything is read from the run directory (config.toml, logbook.jsonl,
metrics.jsonl, metrics.json, the newest sound checkpoint); nothing is trained.
"""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass
from pathlib import Path

import torch

from .checkpoint import checkpoint_files, read_checkpoint
from .config import Config, ConfigError, load_config

__all__ = ["RunResult", "load_run"]


def _jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()] if path.is_file() else []


@dataclass
class RunResult:
    """One run directory's results: ``config``, ``logbook`` (a row per generation, chapters flattened),
    ``metrics`` (a row per evaluation), ``final`` (metrics.json, None if the run never finished), ``path``."""

    path: Path
    config: Config
    logbook: list[dict]
    metrics: list[dict]
    final: dict | None

    def generator(self, member: int = 0) -> torch.nn.Module:
        """Population member ``member`` of the newest checkpoint (0: the best survivor) as a standalone generator
        module on the CPU, in eval mode (BatchNorm uses the member's running averages)."""
        from .data import DATASETS
        from .experiment import _seeded_models

        files = checkpoint_files(self.path / "checkpoints")
        if not files:
            raise ConfigError(f"{self.path}: no checkpoint to take a generator from")
        population = read_checkpoint(files[0])["experiment"]["population"]
        if not 0 <= member < len(population):
            raise ConfigError(f"member: {member} is out of range; allowed: [0, {len(population) - 1}]")
        config = copy.deepcopy(self.config)
        config.device = "cpu"
        data = DATASETS.get(config.dataset, "dataset")(config, torch.device("cpu"))
        generator, _ = _seeded_models(config, data, "export")
        generator.load_state_dict(population[member]["weights"])
        return generator.eval()


def load_run(path: str | Path) -> RunResult:
    """The results of the run in ``path`` (a directory ``evogan run`` wrote)."""
    path = Path(path)
    if not (path / "config.toml").is_file():
        raise ConfigError(f"{path}: not a run directory (no config.toml)")
    final = json.loads((path / "metrics.json").read_text()) if (path / "metrics.json").is_file() else None
    return RunResult(path=path, config=load_config(path / "config.toml"), logbook=_jsonl(path / "logbook.jsonl"),
                     metrics=_jsonl(path / "metrics.jsonl"), final=final)
