"""Benchmark runs as evogan run directories whose small results are committed, shared by the benchmark scripts.

A run lives under ``<out>/<dataset>/<strategy>/seedN`` (git-ignored). When it
finishes, its config.toml, metrics.json and metrics.jsonl are copied to
``benchmarks/results/<out's name>/...`` (committed), which counts as done on a
fresh clone. Of an unfinished run that can resume, its config and newest
checkpoint are kept in ``partial/`` there, and put back on a fresh clone so
the run resumes instead of starting over.
"""

from __future__ import annotations

import json
import math
import os
import shutil
import statistics
import subprocess
import sys
from pathlib import Path

from evogan.config import ConfigError, config_to_dict, load_config, unsafe_to_resume
from evogan.runner import finished as finished_run  # metrics.json written at the end, not at a Ctrl-C

ROOT = Path(__file__).resolve().parents[1]
#: the experiment files shipped with evogan (what `evogan run NAME` finds)
PRESETS = ROOT / "runs"
#: the base config of a run given only ``--set`` overrides (see engine_defaults.toml)
ENGINE_DEFAULTS = Path(__file__).with_name("engine_defaults.toml")
RESULTS = ROOT / "benchmarks" / "results"
KEPT = ("config.toml", "metrics.json", "metrics.jsonl", "provenance.json")


def run_dir(out: Path, dataset: str, strategy: str, seed: int) -> Path:
    return out / dataset / strategy / f"seed{seed}"


def kept_dir(out: Path, dataset: str, strategy: str, seed: int) -> Path:
    """Where a finished run's small files are committed: benchmarks/results/<out's name>/<dataset>/<strategy>/seedN."""
    return run_dir(RESULTS / out.name, dataset, strategy, seed)


def keep(out: Path, dataset: str, strategy: str, seed: int, partial: bool = True) -> None:
    """Copy a finished run's config and metrics into benchmarks/results (small text files); of an unfinished run, with
    ``partial``, its config and newest checkpoint into ``partial/`` there (what ``evogan run --resume`` needs)."""
    source, target = run_dir(out, dataset, strategy, seed), kept_dir(out, dataset, strategy, seed)
    if finished_run(source) and not (target / "metrics.json").exists():
        target.mkdir(parents=True, exist_ok=True)
        for name in KEPT:
            if (source / name).exists():
                shutil.copyfile(source / name, target / name)
        shutil.rmtree(target / "partial", ignore_errors=True)
        return
    checkpoints = sorted((source / "checkpoints").glob("gen*.pt")) if (source / "checkpoints").is_dir() else []
    kept_partial = target / "partial"
    if (partial and checkpoints and not (target / "metrics.json").exists()
            and not (kept_partial / "checkpoints" / checkpoints[-1].name).exists()):
        shutil.rmtree(kept_partial, ignore_errors=True)
        (kept_partial / "checkpoints").mkdir(parents=True)
        shutil.copyfile(source / "config.toml", kept_partial / "config.toml")
        shutil.copyfile(checkpoints[-1], kept_partial / "checkpoints" / checkpoints[-1].name)


def restore_partial(out: Path, dataset: str, strategy: str, seed: int) -> None:
    """A fresh clone: put a kept unfinished run back under ``out`` so that it resumes instead of starting over."""
    folder, kept_partial = run_dir(out, dataset, strategy, seed), kept_dir(out, dataset, strategy, seed) / "partial"
    if not folder.exists() and (kept_partial / "config.toml").exists():
        shutil.copytree(kept_partial, folder)


def stale_keys(folder: Path, arguments: list[str]) -> list[str]:
    """The keys in which the config a run was made with (``folder``'s config.toml) differs from what ``arguments``
    (``evogan run`` arguments: a run file, then ``--set``s) give now, leaving out those that only extend, observe or
    place a run (``RESUME_SAFE``): a preset edited since its run was kept makes that run another strategy's."""
    if not (folder / "config.toml").exists():
        return []
    base = arguments[0] if arguments and not arguments[0].startswith("-") else ENGINE_DEFAULTS
    overrides = [value for flag, value in zip(arguments, arguments[1:]) if flag == "--set"]
    now = config_to_dict(load_config(base, overrides))
    try:
        made = config_to_dict(load_config(folder / "config.toml"))
    except ConfigError:  # a key this evogan no longer has: no longer a run of any config it can build
        return ["config.toml (not a config of this evogan)"]
    return unsafe_to_resume(made, now)


def execute(out: Path, dataset: str, strategy: str, seed: int, arguments: list[str], resumable: bool = True) -> str:
    """One ``evogan run <arguments> --out <run dir>`` in its own process with one torch thread, unless it finished
    before. An unfinished run resumes from its checkpoint when ``resumable``; otherwise it starts over (a run under a
    wall-clock budget would not be comparable after a pause). A finished run made with another config than
    ``arguments`` give now (``stale_keys``) is neither counted as done nor replaced: that is for a person to decide;
    an unfinished one starts over."""
    folder, kept = run_dir(out, dataset, strategy, seed), kept_dir(out, dataset, strategy, seed)
    made = kept if (kept / "metrics.json").exists() else folder if finished_run(folder) else None
    if made is not None:
        stale = stale_keys(made, arguments)
        if stale:
            return (f"{folder}: NOT RUN: the finished run in {made} was made with another {', '.join(stale)}; "
                    f"delete it (`git rm -r` if kept) to rerun this strategy as it is now")
        if made == folder:
            keep(out, dataset, strategy, seed, resumable)
        return f"{folder}: done before" + (" (benchmarks/results)" if made == kept else "")
    exe = [sys.executable, "-m", "evogan", "run"]
    if resumable:
        restore_partial(out, dataset, strategy, seed)
    checkpoints = (folder / "checkpoints").glob("gen*.pt") if (folder / "checkpoints").is_dir() else ()
    if resumable and any(checkpoints) and not stale_keys(folder, arguments):
        command = exe + ["--resume", str(folder), "--quiet"]
    else:
        shutil.rmtree(folder, ignore_errors=True)
        base = [] if arguments and not arguments[0].startswith("-") else [str(ENGINE_DEFAULTS)]
        command = exe + base + [*arguments, "--out", str(folder), "--quiet"]
    env = {**os.environ, "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
    done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True)
    if done.returncode:
        return f"{folder}: FAILED ({done.stderr.strip().splitlines()[-1] if done.stderr.strip() else done.returncode})"
    keep(out, dataset, strategy, seed, resumable)
    return f"{folder}: finished"


def sets(overrides: list[str]) -> list[str]:
    """``--set`` arguments for ``evogan run``."""
    return [item for override in overrides for item in ("--set", override)]


def folder_of(out: Path, dataset: str, strategy: str, seed: int) -> Path:
    """Where a run's results are read from: its kept copy in benchmarks/results if it has one, else its folder."""
    kept = kept_dir(out, dataset, strategy, seed)
    return kept if (kept / "metrics.json").exists() else run_dir(out, dataset, strategy, seed)


#: the run folders ``finished`` read, in order: what ``made_with`` dates
READ: list[Path] = []


def finished(out: Path, dataset: str, strategy: str, seeds: list[int]) -> list[tuple[int, dict, list[dict]]]:
    """(seed, final metrics, metrics history) of each seed that finished, from benchmarks/results or ``out``."""
    runs = []
    for seed in seeds:
        folder = folder_of(out, dataset, strategy, seed)
        if finished_run(folder):
            READ.append(folder)
            history = []
            if (folder / "metrics.jsonl").exists():
                history = [json.loads(line) for line in (folder / "metrics.jsonl").read_text().splitlines() if line.strip()]
            runs.append((seed, json.loads((folder / "metrics.json").read_text()), history))
    return runs


def _git_date(*args: str) -> str | None:
    shown = subprocess.run(["git", "-C", str(ROOT), *args], capture_output=True, text=True)
    lines = shown.stdout.split()
    return lines[-1] if shown.returncode == 0 and lines else None


def made_with() -> str:
    """When the runs the report read were made: the dates of the evogan commits in their provenance.json, or (for
    runs older than provenance records) of the commit that added their metrics.json. A table's date, derived."""
    dates, commits = [], set()
    for folder in READ:
        provenance = folder / "provenance.json"
        commit = json.loads(provenance.read_text()).get("commit") if provenance.exists() else None
        commit = commit.removesuffix("+dirty") if commit else None  # a run from a tree with uncommitted changes
        commits.add(commit)
        date = ((_git_date("show", "-s", "--format=%cs", commit) if commit else None)
                or _git_date("log", "--diff-filter=A", "--format=%cs", "--", str(folder / "metrics.json")))
        if date:
            dates.append(date)
    span = f", made {min(dates)} to {max(dates)}" if dates else ""
    return f"{len(READ)} finished runs{span} (dates of the evogan commits that ran them, or that kept them)."


def values(finals: list[dict], key: str) -> list[float]:
    """The finite values of ``key`` (undefined metrics are None)."""
    return [f[key] for f in finals if f.get(key) is not None and not math.isnan(f[key])]


def mean_se(values: list[float], digits: int) -> str:
    """``mean ± standard error`` (— without values; one value alone, which has no standard error, as "x (1 seed)")."""
    if not values:
        return "—"
    if len(values) == 1:
        return f"{values[0]:.{digits}f} (1 seed)"
    mean = statistics.fmean(values)
    se = statistics.stdev(values) / math.sqrt(len(values))
    return f"{mean:.{digits}f} ± {se:.{digits}f}"
