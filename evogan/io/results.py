"""A finished (or stopped) run as data, for a notebook: config, logbook, metric history, and its generators.

    run = evogan.load_run("runs/default/20261130-101500")
    run.logbook[-1]["d_loss"], run.metrics[-1]["high_quality"], run.final
    g = run.generator()          # the best survivor as a plain torch.nn.Module (eval mode)
    x = g(torch.randn(16, run.config.latent_dim))
    g3 = run.generator(island=3)  # islands: island 3's best; run.mixture() all islands with their weights
    s = run.sample()             # exactly the samples the last metrics measured (islands, niches and all)

Everything is read from the run directory (config.toml, logbook.jsonl,
metrics.jsonl, metrics.json, the newest sound checkpoint); nothing is trained.
"""

from __future__ import annotations

import copy
import json
import warnings
from dataclasses import dataclass
from pathlib import Path

import torch

from .checkpoint import DamagedCheckpoint, load_latest_checkpoint
from ..config import Config, ConfigError, load_config

__all__ = ["RunResult", "MixtureGenerator", "load_run"]


def _jsonl(path: Path) -> list[dict]:
    """The rows of a JSON-lines file; a line that does not parse (a run killed mid-line, an edit) is skipped with one
    warning naming the file and the lines, so the rest stays readable."""
    if not path.is_file():
        return []
    rows, bad = [], []
    for number, line in enumerate(path.read_text(errors="replace").splitlines(), 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except ValueError:
            row = None
        if isinstance(row, dict):
            rows.append(row)
        else:
            bad.append(number)
    if bad:
        shown = ", ".join(map(str, bad[:5])) + (", ..." if len(bad) > 5 else "")
        warnings.warn(f"{path}: {len(bad)} line(s) are not JSON rows and were skipped (line {shown})", RuntimeWarning,
                      stacklevel=3)
    return rows


@dataclass
class RunResult:
    """One run directory's results: ``config``, ``logbook`` (a row per generation, chapters flattened),
    ``metrics`` (a row per evaluation), ``final`` (metrics.json, None if the run never finished), ``path``."""

    path: Path
    config: Config
    logbook: list[dict]
    metrics: list[dict]
    final: dict | None

    def _from_checkpoint(self, use):
        """``use(state)`` on the newest checkpoint that is sound and fits this run's config, found as a resume finds
        it (``load_latest_checkpoint``: one warning per file skipped) but leaving the folder as it is."""
        found = {}

        def check(state):
            try:
                found["value"] = use(state)
            except (KeyError, TypeError, RuntimeError, IndexError, AttributeError) as err:  # not this config's state
                first = str(err).strip().splitlines()[0][:120] if str(err).strip() else type(err).__name__
                raise DamagedCheckpoint(f"{self.path / 'config.toml'} does not match it: {first}") from None

        try:
            load_latest_checkpoint(self.path / "checkpoints", check=check, set_aside=False)
        except FileNotFoundError as err:
            raise ConfigError(f"{self.path}: {err}; no generator to take") from None
        return found["value"]

    def _populations(self, state: dict) -> list[list[dict]]:
        """Each island's (deme's) population in the checkpoint: island 0 first."""
        islands = state["experiment"].get("islands") or {"demes": []}
        return [state["experiment"]["population"]] + [deme["population"] for deme in islands["demes"]]

    def _module(self, weights: dict) -> torch.nn.Module:
        from ..data import DATASETS
        from ..experiment import _seeded_models

        config = copy.deepcopy(self.config)
        config.device = "cpu"
        data = DATASETS.get(config.dataset, "dataset")(config, torch.device("cpu"))
        generator, _ = _seeded_models(config, data, "export")
        generator.load_state_dict(weights)
        return generator.eval()

    def generator(self, member: int = 0, island: int = 0) -> torch.nn.Module:
        """Population member ``member`` (0: the best survivor) of island ``island`` (0 without islands) of the newest
        checkpoint, as a standalone generator module on the CPU, in eval mode (BatchNorm uses the member's running
        averages)."""
        def use(state):
            populations = self._populations(state)
            if not 0 <= island < len(populations):
                raise ConfigError(f"island: {island} is out of range; allowed: [0, {len(populations) - 1}]")
            population = populations[island]
            if not 0 <= member < len(population):
                raise ConfigError(f"member: {member} is out of range; allowed: [0, {len(population) - 1}]")
            return self._module(population[member]["weights"])

        return self._from_checkpoint(use)

    def mixture_weights(self) -> list[float]:
        """The islands' mixture weights of the newest checkpoint (normalised; [1.0] without islands)."""
        def use(state):
            islands = state["experiment"].get("islands")
            weights = [float(w) for w in islands["weights"]] if islands else [1.0]
            return [w / sum(weights) for w in weights]

        return self._from_checkpoint(use)

    def mixture(self, member: int = 0) -> "MixtureGenerator":
        """Member ``member`` of every island in one module, with the islands' mixture weights."""
        def use(state):
            modules = [self._module(population[member]["weights"]) for population in self._populations(state)]
            islands = state["experiment"].get("islands")
            return MixtureGenerator(modules, islands["weights"] if islands else [1.0])

        return self._from_checkpoint(use)

    def sample(self, n: int | None = None) -> torch.Tensor:
        """n samples of the newest checkpoint drawn exactly as the run's metrics draw them (``metrics.sample_from``,
        the islands or DynGAN niches mixed by their weights, the metrics' latents of that generation), on the CPU:
        ``run.config`` 's dataset metrics of ``run.sample()`` (n: the metrics' own count) are the run's last
        metrics."""
        from dataclasses import replace

        from .checkpoint import restore_experiment
        from ..experiment import Experiment

        config = replace(self.config, device="cpu", log=replace(self.config.log, progress=False),
                         islands=replace(self.config.islands, backend="inprocess", asynchronous=False))
        experiment = Experiment(config)

        def use(state):
            restore_experiment(experiment, state["experiment"])
            return experiment.sample(n or experiment.metric_samples)

        try:
            return self._from_checkpoint(use)
        finally:
            experiment.close()


class MixtureGenerator(torch.nn.Module):
    """Several generators and their mixture weights. ``forward(z, component)`` gives row i from generator
    ``component[i]`` (every generator runs on every row: exact, and exportable with torch.export);
    ``sample(n, generator)`` draws the components by the weights and z from N(0, I)."""

    def __init__(self, generators: list[torch.nn.Module], weights: list[float]):
        super().__init__()
        self.generators = torch.nn.ModuleList(generators)
        self.register_buffer("weights", torch.tensor(weights, dtype=torch.float32) / sum(weights))

    def forward(self, z: torch.Tensor, component: torch.Tensor) -> torch.Tensor:
        outputs = torch.stack([g(z) for g in self.generators])  # (K, n, ...)
        index = component.long().view(1, -1, *([1] * (outputs.dim() - 2))).expand(1, *outputs.shape[1:])
        return outputs.gather(0, index).squeeze(0)

    @torch.no_grad()
    def sample(self, n: int, latent_dim: int, generator: torch.Generator | None = None) -> torch.Tensor:
        component = torch.multinomial(self.weights, n, replacement=True, generator=generator)
        return self(torch.randn(n, latent_dim, generator=generator), component)


def load_run(path: str | Path) -> RunResult:
    """The results of the run in ``path`` (a directory ``evogan run`` wrote)."""
    path = Path(path)
    if not (path / "config.toml").is_file():
        raise ConfigError(f"{path}: not a run directory (no config.toml)")
    final = None
    if (path / "metrics.json").is_file():
        try:
            final = json.loads((path / "metrics.json").read_text(errors="replace"))
        except ValueError as err:
            warnings.warn(f"{path / 'metrics.json'} is not JSON ({err}); no final metrics", RuntimeWarning, stacklevel=2)
    return RunResult(path=path, config=load_config(path / "config.toml"), logbook=_jsonl(path / "logbook.jsonl"),
                     metrics=_jsonl(path / "metrics.jsonl"), final=final)
