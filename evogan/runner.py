"""A run on disk: the run directory, its logbook files, metrics and plots.

Layout of a run directory::

    config.toml      the resolved config (every key, defaults filled in)
    logbook.csv      one row per generation (also logbook.jsonl)
    metrics.jsonl    sample metrics every ``metrics.every`` generations
    metrics.json     the final metrics
    samples.npz      the metric samples of every evaluated generation
    samples.png fitness.png operators.png metrics.png
"""

from __future__ import annotations

import csv
import json
import time
from datetime import datetime
from pathlib import Path

import numpy as np

from . import plots
from .algorithms import mutation_names
from .config import Config, ConfigError, config_to_toml
from .experiment import Experiment
from .progress import Progress

__all__ = ["run", "make_run_dir", "flatten_record", "LogWriter"]


def make_run_dir(config: Config, out: str | Path | None = None, root: str | Path = "runs") -> Path:
    """Create the run directory (``out``, or ``root/<name>/<timestamp>``) and check it is writable."""
    if out is None:
        base = Path(root) / config.name / datetime.now().strftime("%Y%m%d-%H%M%S")
        path, n = base, 1
        while path.exists():
            path, n = base.with_name(f"{base.name}-{n}"), n + 1
    else:
        path = Path(out)
        if path.exists() and (not path.is_dir() or any(path.iterdir())):
            raise ConfigError(f"--out {path}: exists and is not an empty directory; choose a new one")
    try:
        path.mkdir(parents=True, exist_ok=True)
        probe = path / ".write-test"
        probe.write_text("ok")
        probe.unlink()
    except OSError as err:
        raise ConfigError(f"cannot write the run directory {path}: {err.strerror or err}") from None
    return path


def flatten_record(logbook, mutations: list[str]) -> dict:
    """The last logbook row with chapters flattened (``fitness_avg``, ...) and survivor counts per operator."""
    row = dict(logbook[-1])
    for chapter, book in logbook.chapters.items():
        for key, value in book[-1].items():
            if key not in row:
                row[f"{chapter}_{key}"] = float(value)
    operators = row["survivors"].split()
    for name in mutations:
        row[f"sel_{name}"] = sum(op.split("+")[0] == name for op in operators)
    row["sel_crossover"] = sum(op.endswith("+crossover") for op in operators)
    return row


class LogWriter:
    """Appends logbook rows to CSV and JSONL as they come, so a crash loses nothing written."""

    def __init__(self, directory: Path):
        self.csv_file = open(directory / "logbook.csv", "w", newline="")
        self.jsonl_file = open(directory / "logbook.jsonl", "w")
        self.writer = None

    def write(self, row: dict) -> None:
        if self.writer is None:
            self.writer = csv.DictWriter(self.csv_file, fieldnames=list(row), extrasaction="ignore")
            self.writer.writeheader()
        self.writer.writerow(row)
        self.jsonl_file.write(json.dumps(row) + "\n")
        self.csv_file.flush()
        self.jsonl_file.flush()

    def close(self) -> None:
        self.csv_file.close()
        self.jsonl_file.close()


def _metrics_row(experiment: Experiment, wall: float) -> tuple[dict, np.ndarray]:
    samples = experiment.sample(experiment.config.metrics.samples)
    metrics = experiment.data.metrics(samples)
    metrics.update(generation=experiment.generation, wall_time=wall)
    return metrics, samples.cpu().numpy()


def run(config: Config, out: str | Path | None = None, *, root: str | Path = "runs", progress: bool | None = None) -> Path:
    """Run ``config`` to completion, writing everything into a run directory; returns its path."""
    run_dir = make_run_dir(config, out, root)
    (run_dir / "config.toml").write_text(config_to_toml(config))
    experiment = Experiment(config)
    mutations = mutation_names(experiment.toolbox)  # includes mutations users registered themselves
    writer = LogWriter(run_dir)
    bar = Progress(config.generations, enabled=config.log.progress if progress is None else progress)
    history, snapshots, rows = [], {}, []
    every, last = config.metrics.every, config.generations
    started = time.perf_counter()

    def measure(wall):
        metrics, samples = _metrics_row(experiment, wall)
        history.append(metrics)
        snapshots[experiment.generation] = samples
        with open(run_dir / "metrics.jsonl", "a") as f:
            f.write(json.dumps(metrics) + "\n")

    def after_generation(gen, population, logbook):
        wall = time.perf_counter() - started
        row = flatten_record(logbook, mutations)
        row["wall_time"] = wall
        rows.append(row)
        writer.write(row)
        if gen % every == 0 or gen == last:
            measure(wall)
        latest = history[-1]
        bar.update(gen, f"modes {latest['modes_covered']}/{latest['n_modes']} hq {latest['high_quality']:.0f}%")

    try:
        measure(0.0)
        experiment.run(callback=after_generation)
    finally:
        writer.close()
        bar.close()
        experiment.close()

    final = dict(history[-1])
    reached = [h for h in history if h["modes_covered"] == h["n_modes"]]
    final["first_all_modes_generation"] = reached[0]["generation"] if reached else None
    final["first_all_modes_wall_time"] = reached[0]["wall_time"] if reached else None
    final["sample_from"] = config.metrics.sample_from
    (run_dir / "metrics.json").write_text(json.dumps(final, indent=2) + "\n")
    np.savez_compressed(run_dir / "samples.npz", **{f"gen{g}": s for g, s in snapshots.items()})
    if config.log.plots:
        write_plots(run_dir, experiment, history, snapshots, rows, mutations)
    return run_dir


def write_plots(run_dir, experiment, history, snapshots, rows, mutations) -> None:
    centres = getattr(experiment.data, "centres", None)
    if centres is not None:
        plots.plot_samples(snapshots, centres.cpu().numpy(), run_dir / "samples.png", experiment.config.log.snapshots)
    plots.plot_fitness(rows, run_dir / "fitness.png")
    plots.plot_operators(rows, mutations, run_dir / "operators.png")
    plots.plot_metrics(history, run_dir / "metrics.png")
