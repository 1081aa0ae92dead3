"""Compare strategies over seeds: runs, a summary with significance tests, plots and one HTML report.

``compare(configs, seeds=N)`` runs every strategy (a config file or a
:class:`~evogan.config.Config`) with seeds 0..N-1 into ``out/<strategy>/seed<k>/``,
one after another or concurrently as Ray tasks (``backend="ray"``), then
writes into ``out/``:

- ``summary.csv`` (one row per strategy and metric: n, mean, std, p-values) and
  ``summary.md`` (mean ± std per strategy and metric);
- significance against the first strategy: Welch's t-test (unequal variances)
  and the Mann–Whitney U test, both two-sided (scipy.stats); with few seeds
  their power is low, and ``n/a`` marks a test that is undefined (e.g. zero
  variance in both groups);
- ``metrics_vs_generation.png``, ``metrics_vs_time.png`` (mean over seeds,
  min–max band), ``operators.png`` (share of survivors made by each operator,
  per strategy), ``samples.png`` (each strategy's final samples of seed 0);
- ``report.html``: all of it on one self-contained page (figures embedded).

A comparison that stops part-way resumes where it stopped when run again
with the same ``out``: finished runs are read back, interrupted ones resume
from their checkpoints, and only the rest is run.
"""

from __future__ import annotations

import base64
import csv
import html
import json
import math
import shutil
import statistics
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from scipy import stats as scipy_stats  # noqa: E402

from .config import (Config, ConfigError, apply_overrides, changed_keys, config_from_dict, config_to_dict,  # noqa: E402
                     load_config)

__all__ = ["compare", "Comparison", "welch_test", "mann_whitney_test", "summarise"]

#: final-metric keys that describe the run rather than measure it
_NOT_METRICS = {"n_modes", "n_samples", "fid_real_samples", "generation", "first_all_modes_generation",
                "first_all_modes_wall_time", "sample_from", "stopped_by_time"}
#: metrics where lower is better (the summary says so)
LOWER_IS_BETTER = {"reverse_kl", "fid", "kl", "wall_time", "gap_mass"}


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


def welch_test(a: list[float], b: list[float]) -> float:
    """Two-sided p-value of Welch's t-test (NaN where it is undefined)."""
    if len(a) < 2 or len(b) < 2:
        return math.nan
    return float(scipy_stats.ttest_ind(a, b, equal_var=False).pvalue)


def mann_whitney_test(a: list[float], b: list[float]) -> float:
    """Two-sided p-value of the Mann–Whitney U test (exact for small samples without ties)."""
    if not a or not b:
        return math.nan
    return float(scipy_stats.mannwhitneyu(a, b, alternative="two-sided").pvalue)


def _resolve(configs, overrides) -> dict[str, Config]:
    strategies = {}
    for item in configs:
        if isinstance(item, Config):
            config = config_from_dict(apply_overrides(config_to_dict(item), list(overrides)))
            name = item.name or f"strategy{len(strategies) + 1}"
        else:
            config = load_config(item, list(overrides))
            name = Path(item).stem
        if name in strategies:
            raise ConfigError(f"compare: two strategies are named {name!r}; give them different names")
        strategies[name] = replace(config, name=name)
    if not strategies:
        raise ConfigError("compare: give at least one config")
    return strategies


def _one_run(config: Config, run_dir: Path) -> Path:
    """Run, resume or reuse ``run_dir``: finished runs are read back, interrupted ones resume from a checkpoint."""
    from .runner import finished, resume, run

    if finished(run_dir):
        return run_dir
    if any((run_dir / "checkpoints").glob("gen*.pt")):
        return resume(run_dir, progress=False)
    if run_dir.exists():
        shutil.rmtree(run_dir)  # started but nothing to resume from
    return run(config, run_dir, progress=False)


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
    if backend == "sequential":
        for config, run_dir in jobs:
            _one_run(config, run_dir)
        return
    import ray

    from .parallel.ray_backend import connect

    owned = connect(jobs[0][0].parallel)  # a private local Ray unless one is running or an address is set
    try:
        task = ray.remote(num_cpus=1)(_ray_run)
        ray.get([task.remote(config, str(run_dir)) for config, run_dir in jobs])
    finally:
        if owned:
            ray.shutdown()


def _ray_run(config: Config, run_dir: str) -> str:
    import torch

    torch.set_num_threads(1)
    return str(_one_run(config, Path(run_dir)))


def compare(configs, *, seeds: int = 3, overrides=(), out: str | Path | None = None, backend: str = "sequential",
            rerun: bool = False, plugins=()) -> Comparison:
    """Run every strategy with seeds 0..seeds-1 and write the summary, the plots and ``report.html``.

    A run folder already in ``out`` is reused (finished) or resumed (interrupted) only when its config equals the
    requested one; otherwise this is an error, or with ``rerun`` the folder is run again from scratch.
    ``plugins`` (modules or .py files) are added to every strategy's and imported in every run, Ray tasks included.
    """
    if seeds < 1:
        raise ConfigError(f"--seeds: {seeds} is out of range; allowed: >= 1")
    if backend not in ("sequential", "ray"):
        raise ConfigError(f"--backend: {backend!r} is not valid; choose one of: sequential, ray")
    strategies = _resolve(configs, overrides)
    for config in strategies.values():
        config.plugins = config.plugins + [p for p in plugins if p not in config.plugins]
    out = Path(out) if out else Path("runs") / "compare" / datetime.now().strftime("%Y%m%d-%H%M%S")
    out.mkdir(parents=True, exist_ok=True)
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
    table = summarise({name: [_final(d) for d in dirs] for name, dirs in runs.items()})
    comparison = Comparison(table, runs, out)
    _write_summary(table, out)
    comparison.figures = _plot(runs, out)
    _write_report(comparison, strategies, seeds)
    return comparison


def _final(run_dir: Path) -> dict:
    return json.loads((run_dir / "metrics.json").read_text())


def _finite(values) -> list[float]:
    """The values that are numbers (a metric may be undefined in a run: None, or NaN in older files)."""
    return [float(v) for v in values if v is not None and math.isfinite(float(v))]


def summarise(finals: dict[str, list[dict]]) -> list[dict]:
    """One row per strategy and metric: n, mean, std (sample), and the p-values against the first strategy."""
    names = list(finals)
    metrics = [k for k, v in finals[names[0]][0].items() if k not in _NOT_METRICS and isinstance(v, (int, float, type(None)))
               and not isinstance(v, bool)]
    metrics = [k for k in metrics if _finite(f.get(k) for runs in finals.values() for f in runs)]
    rows = []
    for name in names:
        for metric in metrics:
            values = _finite(f.get(metric) for f in finals[name])
            base = _finite(f.get(metric) for f in finals[names[0]])
            first = name == names[0]
            rows.append({
                "strategy": name, "metric": metric, "n": len(values),
                "mean": statistics.fmean(values) if values else math.nan,
                "std": statistics.stdev(values) if len(values) > 1 else math.nan,
                "welch_p": math.nan if first else welch_test(values, base),
                "mannwhitney_p": math.nan if first else mann_whitney_test(values, base),
            })
    return rows


def _number(x: float, digits: int = 3) -> str:
    return "n/a" if x is None or (isinstance(x, float) and math.isnan(x)) else f"{x:.{digits}g}"


def _write_summary(table: list[dict], out: Path) -> None:
    with open(out / "summary.csv", "w", newline="") as file:
        writer = csv.DictWriter(file, fieldnames=list(table[0]))
        writer.writeheader()
        writer.writerows(table)
    (out / "summary.md").write_text(_markdown(table))


def _markdown(table: list[dict]) -> str:
    metrics = list(dict.fromkeys(row["metric"] for row in table))
    strategies = list(dict.fromkeys(row["strategy"] for row in table))
    cell = {(r["strategy"], r["metric"]): r for r in table}
    lines = ["| strategy | " + " | ".join(f"{m} {'↓' if m in LOWER_IS_BETTER else '↑'}" for m in metrics) + " |",
             "| --- |" + " --- |" * len(metrics)]
    for name in strategies:
        cells = []
        for m in metrics:
            r = cell[(name, m)]
            text = f"{_number(r['mean'], 4)} ± {_number(r['std'], 2)}"
            if name != strategies[0]:
                text += f" (p {_number(r['welch_p'], 2)} / {_number(r['mannwhitney_p'], 2)})"
            cells.append(text)
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    seeds = table[0]["n"]
    lines += ["", f"Mean ± sample std over {seeds} seed(s). (p a / b): two-sided p-values against "
              f"{strategies[0]!r}, a = Welch's t-test, b = Mann–Whitney U test. ↓ lower is better, ↑ higher."]
    return "\n".join(lines) + "\n"


def _jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in open(path)] if path.is_file() else []


def _plot(runs: dict[str, list[Path]], out: Path) -> list[Path]:
    from .plots import METRIC_TITLES

    histories = {name: [_jsonl(d / "metrics.jsonl") for d in dirs] for name, dirs in runs.items()}
    first = next(iter(histories.values()))[0]
    keys = [k for k in METRIC_TITLES if first and first[-1].get(k) is not None]
    written = []
    for axis, filename in (("generation", "metrics_vs_generation.png"), ("wall_time", "metrics_vs_time.png")):
        fig, axes = plt.subplots(1, max(1, len(keys)), figsize=(4.2 * max(1, len(keys)), 3.4), squeeze=False)
        for ax, key in zip(axes.flat, keys):
            for name, seeds in histories.items():
                gens = sorted(set.intersection(*(set(h["generation"] for h in hist) for hist in seeds)))
                values = np.array([[next(h[key] for h in hist if h["generation"] == g) for g in gens] for hist in seeds])
                x = gens if axis == "generation" else np.array(
                    [[next(h["wall_time"] for h in hist if h["generation"] == g) for g in gens] for hist in seeds]).mean(0)
                ax.plot(x, values.mean(0), lw=1.2, label=name)
                ax.fill_between(x, values.min(0), values.max(0), alpha=0.2)
            ax.set_title(METRIC_TITLES[key], fontsize=10)
            ax.set_xlabel("generation" if axis == "generation" else "wall time (s)")
        axes.flat[0].legend(fontsize=8)
        fig.tight_layout()
        fig.savefig(out / filename, dpi=100)
        plt.close(fig)
        written.append(out / filename)
    written.append(_plot_operators(runs, out))
    written.append(_plot_samples(runs, out))
    return written


def _plot_operators(runs: dict[str, list[Path]], out: Path) -> Path:
    """Share of all survivors (over generations and seeds) made by each operator, per strategy."""
    fig, ax = plt.subplots(figsize=(1.8 + 1.6 * len(runs), 3.6))
    shares = {}
    for name, dirs in runs.items():
        counts = {}
        for d in dirs:
            for row in _jsonl(d / "logbook.jsonl"):
                for op in row["survivors"].split():
                    counts[op] = counts.get(op, 0) + 1
        total = sum(counts.values()) or 1
        shares[name] = {op: c / total for op, c in counts.items()}
    operators = sorted({op for s in shares.values() for op in s})
    bottom = np.zeros(len(runs))
    for op in operators:
        heights = np.array([shares[name].get(op, 0.0) for name in runs])
        ax.bar(list(runs), heights, bottom=bottom, label=op)
        bottom += heights
    ax.set_ylabel("share of survivors")
    ax.set_ylim(0, 1)
    ax.legend(fontsize=7, bbox_to_anchor=(1.01, 1), loc="upper left")
    fig.tight_layout()
    fig.savefig(out / "operators.png", dpi=100)
    plt.close(fig)
    return out / "operators.png"


def _plot_samples(runs: dict[str, list[Path]], out: Path) -> Path:
    """Each strategy's final samples (seed 0): a scatter for 2-D data, the last sample grid for images."""
    fig, axes = plt.subplots(1, len(runs), figsize=(3.4 * len(runs), 3.6), squeeze=False)
    for ax, (name, dirs) in zip(axes.flat, runs.items()):
        run_dir = dirs[0]
        grids = sorted((run_dir / "grids").glob("gen*.png"))
        if grids:
            ax.imshow(plt.imread(grids[-1]))
            ax.axis("off")
        elif (run_dir / "samples.npz").is_file():
            with np.load(run_dir / "samples.npz") as snapshots:
                last = max(snapshots.files, key=lambda k: int(k[3:]))
                points = snapshots[last]
            ax.scatter(points[:, 0], points[:, 1], s=2, alpha=0.4, rasterized=True)
            ax.set_aspect("equal")
        ax.set_title(name, fontsize=10)
    fig.tight_layout()
    fig.savefig(out / "samples.png", dpi=100)
    plt.close(fig)
    return out / "samples.png"


def _write_report(comparison: Comparison, strategies: dict[str, Config], seeds: int) -> None:
    table = comparison.table
    metrics = list(dict.fromkeys(r["metric"] for r in table))
    head = "".join(f"<th>{html.escape(m)}</th>" for m in metrics)
    body = []
    cell = {(r["strategy"], r["metric"]): r for r in table}
    for i, name in enumerate(strategies):
        cells = []
        for m in metrics:
            r = cell[(name, m)]
            text = f"{_number(r['mean'], 4)} ± {_number(r['std'], 2)}"
            if i:
                text += f"<br><small>p {_number(r['welch_p'], 2)} (Welch) / {_number(r['mannwhitney_p'], 2)} (M–W)</small>"
            cells.append(f"<td>{text}</td>")
        body.append(f"<tr><th>{html.escape(name)}</th>{''.join(cells)}</tr>")
    images = "".join(
        f"<h2>{html.escape(path.stem.replace('_', ' '))}</h2><img alt='{path.stem}' "
        f"src='data:image/png;base64,{base64.b64encode(path.read_bytes()).decode()}'>"
        for path in comparison.figures
    )
    page = f"""<!doctype html>
<html><head><meta charset="utf-8"><title>evogan comparison</title>
<style>body{{font-family:sans-serif;margin:2em;max-width:1400px}}table{{border-collapse:collapse}}
td,th{{border:1px solid #ccc;padding:4px 8px;text-align:right}}img{{max-width:100%}}</style></head>
<body><h1>evogan comparison</h1>
<p>{len(strategies)} strategies × {seeds} seed(s), written {datetime.now():%Y-%m-%d %H:%M}. Mean ± sample std over
seeds; p-values are two-sided, against the first strategy ({html.escape(next(iter(strategies)))}).</p>
<table><tr><th>strategy</th>{head}</tr>{''.join(body)}</table>
{images}
</body></html>
"""
    comparison.report.write_text(page)
