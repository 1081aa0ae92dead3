"""Run strategies × seeds (and sweeps), then summarise, plot and report.

``compare(configs, seeds=N)`` runs every strategy (a config file or a
:class:`~evogan.config.Config`) with seeds 0..N-1 into ``out/<strategy>/seed<k>/``,
one after another or concurrently as Ray tasks (``backend="ray"``). ``sweep``
(``["p_cross=0,0.25,0.5", ...]``) turns every strategy into one per point of the
Cartesian product of the values, named ``<strategy>__p_cross=0.25``. Then it writes
into ``out/``: ``summary.csv`` and ``summary.md`` (see :mod:`._stats` for the
statistics), ``metrics_vs_generation.png``, ``metrics_vs_time.png``,
``operators.png``, ``samples.png`` and ``report.html`` (everything on one
self-contained page).

A comparison that stops part-way resumes where it stopped when run again
with the same ``out``: finished runs are read back, interrupted ones resume
from their checkpoints, and only the rest is run.
"""

from __future__ import annotations

import json
import re
import statistics
import shutil
import sys
import time
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path

from ..config import (Config, ConfigError, apply_overrides, changed_keys, config_from_dict, config_to_dict,
                      flat_config, load_config, parse_sweeps)
from ..io.locking import folder_lock
from ._budget import cpu_seconds_per_generation, equal_compute_generations
from ._report import plot_comparison, write_report, write_summary
from ._stats import summarise

#: more seeds than this is a typo, not a study (and each seed's job is held in memory before any runs)
MAX_SEEDS = 10_000
#: what a Ctrl-C inside a comparison tells the user
RERUN_HINT = "rerun the same evogan compare command (same --out): finished runs are kept, this one resumes"

__all__ = ["compare", "Comparison"]


@dataclass
class Comparison:
    """What ``compare`` made: the summary rows, the run directories, the files it wrote."""

    table: list[dict]
    runs: dict[str, list[Path]]
    out: Path
    figures: list[Path] = field(default_factory=list)

    @property
    def report(self) -> Path:
        return self.out / "report.html"


def _point_name(point: list[tuple[str, str]]) -> str:
    return "__".join(f"{key}={re.sub(r'[^A-Za-z0-9._+-]', '', value)}" for key, value in point)


def _resolve(configs, overrides, sweeps) -> dict[str, Config]:
    """Strategy name → validated config: every config at every sweep point (names made unique and explicit)."""
    points = parse_sweeps(sweeps)
    strategies = {}
    for item in configs:
        for point in points:
            extra = list(overrides) + [f"{key}={value}" for key, value in point]
            if isinstance(item, Config):
                config = config_from_dict(apply_overrides(config_to_dict(item), extra))
                name = item.name or f"strategy{len(strategies) + 1}"
            else:
                config = load_config(item, extra)
                name = Path(item).stem
            name = "__".join(filter(None, [name, _point_name(point)]))
            if name in strategies:
                raise ConfigError(f"compare: two strategies are named {name!r}; give them different names")
            strategies[name] = replace(config, name=name)
    if not strategies:
        raise ConfigError("compare: give at least one config")
    return strategies


def _config_diffs(strategies: dict[str, Config]) -> dict[str, list[str]]:
    """Per strategy, ``key: baseline value → its value`` for every key that differs from the first strategy."""
    dicts = {name: config_to_dict(config) for name, config in strategies.items()}
    base = next(iter(dicts.values()))
    flat_base = flat_config(base)
    diffs = {}
    for name, data in dicts.items():
        flat = flat_config(data)
        diffs[name] = [f"{key}: {flat_base.get(key)!r} → {flat.get(key)!r}" for key in changed_keys(base, data)
                       if key != "name"]
    return diffs


def _mode_centres(strategies: dict[str, Config], runs: dict[str, list[Path]]) -> dict:
    """Mode centres of each strategy whose runs saved 2-D samples (datasets with ``centres``), for the samples panel."""
    from ..data import DATASETS

    centres = {}
    for name, config in strategies.items():
        data = None
        if (runs[name][0] / "samples.npz").is_file():  # 2-D data: cheap to build, unlike an image dataset
            data = DATASETS.get(config.dataset, "dataset")(config, "cpu")
        centres[name] = data.centres.numpy() if getattr(data, "centres", None) is not None else None
    return centres


def _one_run(config: Config, run_dir: Path) -> Path:
    """Run, resume or reuse ``run_dir``: finished runs are read back, interrupted ones resume from a checkpoint."""
    from ..runner import finished, resume, run

    if finished(run_dir):
        return run_dir
    if any((run_dir / "checkpoints").glob("gen*.pt")):
        return resume(run_dir, progress=False, resume_hint=RERUN_HINT, trust_plugins=config.plugins)
    if run_dir.exists():
        shutil.rmtree(run_dir)  # started but nothing to resume from
    return run(config, run_dir, progress=False, resume_hint=RERUN_HINT)


class _Announcer:
    """One line per run started and finished on stderr: run k of N, strategy, seed, its time, an ETA from the mean
    time of the runs made so far (runs found finished cost nothing and do not count)."""

    def __init__(self, total: int):
        self.total, self.done, self.spent = total, 0, []

    def started(self, k: int, run_dir: Path) -> None:
        print(f"compare: run {k} of {self.total} started: {run_dir.parent.name} seed {run_dir.name[4:]}",
              file=sys.stderr, flush=True)

    def finished(self, k: int, run_dir: Path, seconds: float, reused: bool, parallel: int = 1) -> None:
        self.done += 1
        if not reused:
            self.spent.append(seconds)
        left = self.total - self.done
        eta = (f"; about {statistics.fmean(self.spent) * left / parallel / 60:.1f} min left"
               if self.spent and left else "")
        what = "found finished" if reused else f"finished in {seconds:.0f} s"
        print(f"compare: run {k} of {self.total} {what}: {run_dir.parent.name} seed {run_dir.name[4:]} "
              f"({self.done}/{self.total} done{eta})", file=sys.stderr, flush=True)


def _final_metrics(run_dir: Path) -> dict:
    """metrics.json with the run's CPU seconds from provenance.json (None for a run of an evogan without it)."""
    from ..io.provenance import read_cpu_seconds

    return {**json.loads((run_dir / "metrics.json").read_text()), "cpu_seconds": read_cpu_seconds(run_dir)}


def _check_reuse(jobs: list[tuple[Config, Path]], rerun: bool) -> None:
    """Before any work: every existing run folder must hold the requested config (or is cleared with ``rerun``)."""
    for config, run_dir in jobs:
        if not (run_dir / "config.toml").is_file():
            continue
        try:
            kept = config_to_dict(load_config(run_dir / "config.toml"))
        except ConfigError:
            kept = {}
        changed = changed_keys(kept, config_to_dict(config))
        if not changed:
            continue
        if rerun:
            shutil.rmtree(run_dir)
            continue
        raise ConfigError(f"compare: {run_dir} holds a run of another config ({', '.join(changed[:4])}"
                          f"{' ...' if len(changed) > 4 else ''} differ); use --rerun to run it again, or another --out")


def _run_all(jobs: list[tuple[Config, Path]], backend: str) -> None:
    from ..runner import finished

    announce = _Announcer(len(jobs))
    if backend == "sequential":
        for k, (config, run_dir) in enumerate(jobs, 1):
            reused, started = finished(run_dir), time.perf_counter()
            if not reused:
                announce.started(k, run_dir)
            _one_run(config, run_dir)
            announce.finished(k, run_dir, time.perf_counter() - started, reused)
        return
    import ray

    from ..parallel.ray_backend import connect, disconnect

    owned = connect(jobs[0][0].parallel)  # a private local Ray unless one is running or an address is set
    try:
        task = ray.remote(num_cpus=1)(_ray_run)
        pending = {}
        for k, (config, run_dir) in enumerate(jobs, 1):
            if not finished(run_dir):
                announce.started(k, run_dir)
            pending[task.remote(config, str(run_dir))] = k, run_dir, finished(run_dir)
        parallel = max(1, int(ray.cluster_resources().get("CPU", 1)))
        while pending:
            ready, _ = ray.wait(list(pending), num_returns=1)
            k, run_dir, reused = pending.pop(ready[0])
            seconds = ray.get(ready[0])[1]
            announce.finished(k, run_dir, seconds, reused, parallel)
    finally:
        if owned:
            disconnect()


def _ray_run(config: Config, run_dir: str) -> tuple[str, float]:
    import torch

    torch.set_num_threads(1)
    started = time.perf_counter()
    return str(_one_run(config, Path(run_dir))), time.perf_counter() - started


def _equalise_compute(strategies: dict[str, Config], out: Path, threads: int | None) -> dict[str, Config]:
    """Each strategy with the generations that cost it what the baseline's cost (``_budget``); the measured costs are
    kept in ``out/equal_compute.json`` and reused when the comparison is run again, so its runs stay the same."""
    path = out / "equal_compute.json"
    saved = json.loads(path.read_text()) if path.is_file() else {}
    if set(saved.get("cpu_seconds_per_generation", {})) != set(strategies):
        print(f"compare: timing {len(strategies)} strategies side by side for equal compute", file=sys.stderr)
        measured = cpu_seconds_per_generation(strategies, threads=threads)
        saved = {"cpu_seconds_per_generation": {n: m["median"] for n, m in measured.items()},
                 "rounds": {n: m["rounds"] for n, m in measured.items()}, "threads": threads}
    baseline = next(iter(strategies.values()))
    generations = equal_compute_generations(saved["cpu_seconds_per_generation"], baseline.generations,
                                            baseline.name, step=10)
    saved["generations"] = generations
    path.write_text(json.dumps(saved, indent=2) + "\n")
    for name, count in generations.items():
        print(f"compare: {name}: {count} generations ({saved['cpu_seconds_per_generation'][name] * 1e3:.2f} ms "
              "of CPU each)", file=sys.stderr)
    return {name: replace(config, generations=generations[name]) for name, config in strategies.items()}


def compare(configs, *, seeds: int = 3, overrides=(), sweep=(), out: str | Path | None = None,
            backend: str = "sequential", rerun: bool = False, plugins=(), time_tests: bool = False,
            min_hq_samples: int = 500, equal_compute: bool = False) -> Comparison:
    """Run every strategy (at every ``sweep`` point) with seeds 0..seeds-1; write the summary, plots, report.html.

    A run folder already in ``out`` is reused (finished) or resumed (interrupted) only when its config equals the
    requested one; otherwise this is an error, or with ``rerun`` the folder is run again from scratch.
    ``plugins`` (modules or .py files) are added to every strategy's and imported in every run, Ray tasks included.
    ``time_tests`` also tests wall time (machine-dependent); a metric resting on fewer than ``min_hq_samples``
    high-quality samples in some run is flagged. ``equal_compute`` gives every strategy the baseline's (the first's)
    CPU budget instead of its own generations: the costs per generation are measured side by side first.
    """
    if not 1 <= seeds <= MAX_SEEDS:
        raise ConfigError(f"--seeds: {seeds} is out of range; allowed: 1..{MAX_SEEDS}")
    if min_hq_samples < 0:
        raise ConfigError(f"--min-hq-samples: {min_hq_samples} is out of range; allowed: >= 0")
    if backend not in ("sequential", "ray"):
        raise ConfigError(f"--backend: {backend!r} is not valid; choose one of: sequential, ray")
    strategies = _resolve(configs, overrides, sweep)
    for config in strategies.values():
        config.plugins = config.plugins + [p for p in plugins if p not in config.plugins]
    out = Path(out) if out else Path("runs") / "compare" / datetime.now().strftime("%Y%m%d-%H%M%S")
    out.mkdir(parents=True, exist_ok=True)
    with folder_lock(out, "compare"):  # two compares into one --out would run and write the same folders
        return _compare_in(out, strategies, seeds=seeds, backend=backend, rerun=rerun, time_tests=time_tests,
                           min_hq_samples=min_hq_samples, equal_compute=equal_compute)


def _compare_in(out: Path, strategies: dict, *, seeds: int, backend: str, rerun: bool, time_tests: bool,
                min_hq_samples: int, equal_compute: bool) -> Comparison:
    """``compare``'s work, once ``out`` is locked."""
    if equal_compute:
        strategies = _equalise_compute(strategies, out, threads=1 if backend == "ray" else None)
    runs, jobs = {}, []
    for name, config in strategies.items():
        runs[name] = []
        for seed in range(seeds):
            run_config = replace(config, seed=seed, log=replace(config.log, progress=False))
            if backend == "ray":  # each run is one Ray task; inside it, the children are trained in process
                run_config = replace(run_config, parallel=replace(config.parallel, backend="inprocess"))
            run_dir = out / name / f"seed{seed}"
            runs[name].append(run_dir)
            jobs.append((run_config, run_dir))
    _check_reuse(jobs, rerun)
    _run_all(jobs, backend)
    finals = {name: [_final_metrics(d) for d in dirs] for name, dirs in runs.items()}
    table = summarise(finals, time_tests=time_tests, min_hq_samples=min_hq_samples)
    diffs, seed_list = _config_diffs(strategies), list(range(seeds))
    comparison = Comparison(table, runs, out)
    write_summary(table, diffs, seed_list, out)
    comparison.figures = plot_comparison(runs, out, _mode_centres(strategies, runs))
    write_report(comparison.report, table, diffs, seed_list, comparison.figures)
    return comparison
