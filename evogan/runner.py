"""A run on disk: the run directory, its logbook files, metrics and plots.

Layout of a run directory::

    config.toml      the resolved config (every key, defaults filled in)
    logbook.csv      one row per generation (also logbook.jsonl)
    metrics.jsonl    sample metrics every ``metrics.every`` generations
    metrics.json     the final metrics
    checkpoints/     gen<N>.pt: exact checkpoints (``log.checkpoint_every``, the end, Ctrl-C); ``resume`` continues
    fitness.png metrics.png modes.png (operators.png, islands.png where they apply; see run_figures.py)
    2-D mixtures:    samples.npz (the metric samples of every evaluated generation), samples.png
    images:          grids/gen000100.png ... (fixed latents, every evaluation),
                     survivors/<rank>-<id>.png (final grid per surviving generator),
                     interpolation.png (G((1 - a) z1 + a z2), best survivor)
    tensorboard/     event files, with log.tensorboard = true
"""

from __future__ import annotations

import contextlib
import json
import shutil
import signal
import sys
import threading
import time
import warnings
from datetime import datetime
from pathlib import Path

from .core.algorithms import TrainingDiverged, mutation_names
from .io.checkpoint import (DamagedCheckpoint, check_fits, checkpoint_files, experiment_state, load_latest_checkpoint,
                         plain, restore_experiment, save_checkpoint)
from .config import (Config, ConfigError, config_to_dict, config_to_toml, flat_config, load_config,
                     unsafe_to_resume)
from .errors import IslandLost, TrainingFailed
from .experiment import Experiment
from .io.locking import LOCK_NAME, folder_lock
from .io.logfiles import AppendLog, LogWriter
from .parallel.kit import tree_map
from .io.progress import Progress
from .io.provenance import write_provenance
from .io.run_figures import RunFigures
from .io.tensorboard import require_tensorboard

__all__ = ["run", "resume", "make_run_dir", "flatten_record", "summary_line", "finished"]

#: metric key → how the progress bar and the final line show it, in order
_SUMMARY = {
    "modes_covered": lambda m: f"modes covered {m['modes_covered']}/{m['n_modes']}",
    "high_quality": lambda m: f"high quality {m['high_quality']:.1f}%",
    "reverse_kl": lambda m: f"reverse KL {m['reverse_kl']:.3f}",
    "fid": lambda m: f"FID {m['fid']:.2f}",
    "inception_score": lambda m: f"IS {m['inception_score']:.2f}",
    "modes": lambda m: f"modes covered {m['modes']}/{m['n_modes']}",
    "kl": lambda m: f"KL {m['kl']:.3f}",
}


def finished(run_dir: str | Path) -> bool:
    """Whether the run in ``run_dir`` ran to its end (metrics.json written at the end, not at a Ctrl-C)."""
    path = Path(run_dir) / "metrics.json"
    if not path.is_file():
        return False
    try:
        return not json.loads(path.read_text()).get("interrupted", False)
    except (ValueError, OSError):
        return False


def summary_line(metrics: dict) -> str:
    """The headline metrics of a metrics row, e.g. ``modes 8/8 hq 45.2% rKL 0.126``."""
    return " ".join(show(metrics) for key, show in _SUMMARY.items() if metrics.get(key) is not None)


def _first_all_modes(history: list[dict]) -> dict | None:
    for h in history:
        covered = h.get("modes_covered", h.get("modes"))
        if covered is not None and covered == h.get("n_modes"):
            return h
    return None


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
        row[f"sel_{name}"] = sum(op.removesuffix("+crossover") == name for op in operators)
    row["sel_crossover"] = sum(op.endswith("+crossover") for op in operators)
    return row


class GracefulInterrupt:
    """First Ctrl-C: finish the generation, checkpoint, stop (``requested``); a second one stops at once."""

    def __init__(self):
        self.requested = False
        self._previous = None

    def __enter__(self):
        if threading.current_thread() is threading.main_thread():
            self._previous = signal.signal(signal.SIGINT, self._handle)
        return self

    def _handle(self, signum, frame):
        if self.requested:
            raise KeyboardInterrupt
        self.requested = True
        print("\nevogan: stopping after this generation and writing a checkpoint (Ctrl-C again: stop now)",
              file=sys.stderr, flush=True)

    def __exit__(self, *exc):
        if self._previous is not None:
            signal.signal(signal.SIGINT, self._previous)
        return False


def run(config: Config, out: str | Path | None = None, *, root: str | Path = "runs", progress: bool | None = None,
        resume_hint: str | None = None) -> Path:
    """Run ``config`` to completion (or ``max_seconds`` / ``max_cpu_seconds``), writing everything into a run directory; returns its path.

    ``resume_hint``: what a Ctrl-C tells the user to do (default: ``evogan run --resume <run dir>``)."""
    if config.log.tensorboard:
        require_tensorboard()  # fail before any work
    run_dir = make_run_dir(config, out, root)
    try:
        with folder_lock(run_dir, "run"):
            (run_dir / "config.toml").write_text(config_to_toml(config))
            _execute_restarting(config, run_dir, progress, resuming=False, hint=resume_hint)
    except BaseException:
        if {p.name for p in run_dir.iterdir()} <= {"config.toml", LOCK_NAME}:  # failed before its first file: no husk
            shutil.rmtree(run_dir, ignore_errors=True)
        raise
    return run_dir


def resume(run_dir: str | Path, overrides: list[str] = (), *, progress: bool | None = None,
           resume_hint: str | None = None, trust_plugins: bool | list[str] = False, trust_config: bool = False) -> Path:
    """Continue the run in ``run_dir`` from its newest sound checkpoint, exactly as if it had never stopped.

    ``overrides`` may change only keys that do not change what the run computes (``config.RESUME_SAFE``), e.g.
    ``generations=N`` to extend a finished run; config.toml is updated with them.

    A run folder's ``plugins`` are code: they are imported only when ``trust_plugins`` is True or lists every one
    of them (``evogan run --resume DIR --trust-plugins``, or ``--import`` of each again), and only after the config
    has been checked against the checkpoint's. A checkpoint that records no config (evogan before 0.2) cannot be
    checked against config.toml, which may have been edited: it is resumed only with ``trust_config``.
    """
    run_dir = Path(run_dir)
    if not (run_dir / "config.toml").is_file():
        raise ConfigError(f"--resume {run_dir}: not a run directory (no config.toml)")
    with folder_lock(run_dir, "run"):
        if not checkpoint_files(run_dir / "checkpoints"):
            raise ConfigError(f"--resume {run_dir}: no checkpoint in {run_dir / 'checkpoints'}; "
                              "start it again with `evogan run`")
        config = load_config(run_dir / "config.toml", list(overrides))
        _check_against_checkpoint(run_dir, config, trust_config)  # before any plugin is imported: a refused resume runs no code
        untrusted = [] if trust_plugins is True else [p for p in config.plugins if p not in (trust_plugins or [])]
        if untrusted:
            raise ConfigError(f"--resume {run_dir}: its config.toml names plugins {untrusted}, Python code that "
                              "resuming would run on this machine (a run folder from elsewhere is code); add "
                              "--trust-plugins to import them, or --import each one again")
        _execute_restarting(config, run_dir, progress, resuming=True, hint=resume_hint)
    return run_dir


def _check_against_checkpoint(run_dir: Path, config: Config, trust_config: bool = False) -> None:
    """The config checks of ``_load_checkpoint`` that need no experiment, on the checkpoint a resume would take."""
    def check(state):
        _check_packs(run_dir, state, config)
        if "config" in state:
            _check_resume_config(run_dir, state["config"], config)
        elif not trust_config:
            raise ConfigError(f"--resume {run_dir}: its newest sound checkpoint records no config (written by evogan "
                              "before 0.2), so config.toml, which may have been edited, cannot be checked against it; "
                              "add --trust-config to resume with config.toml as it stands")
    try:
        load_latest_checkpoint(run_dir / "checkpoints", check=check)
    except FileNotFoundError as err:
        raise ConfigError(f"--resume {run_dir}: {err}; start it again with `evogan run`") from None


def _check_packs(run_dir: Path, state: dict, config: Config) -> None:
    if config.pack > 1 and state.get("batches") != "packs":
        raise ConfigError(f"--resume {run_dir}: this run was made by an evogan whose batch sizes counted samples; "
                          f"with pack = {config.pack} they now count packs, so it would go on with {config.pack}x the "
                          f"samples per step; start it again (batch_size / {config.pack} is the same run)")


def _execute_restarting(config: Config, run_dir: Path, progress: bool | None, resuming: bool,
                        hint: str | None = None) -> None:
    """``_execute``; when an island actor dies, the run continues from its last checkpoint with fresh actors (the same
    result: migration is synchronous), up to ``parallel.max_restarts`` times."""
    restarts = 0
    while True:
        try:
            return _execute(config, run_dir, progress, resuming, hint)
        except IslandLost as err:
            if restarts >= config.parallel.max_restarts or not checkpoint_files(run_dir / "checkpoints"):
                raise
            restarts += 1
            print(f"evogan: {str(err).split(';')[0]}; restarting the islands from the last checkpoint "
                  f"({restarts} of parallel.max_restarts = {config.parallel.max_restarts})", file=sys.stderr)
            resuming = True


def _load_checkpoint(experiment: Experiment, run_dir: Path) -> dict:
    """The newest checkpoint of ``run_dir`` that is sound and fits ``experiment``'s networks; its run's config must
    differ from ``experiment``'s only in keys safe to change on resume (else a ConfigError, and nothing changes)."""
    config = experiment.config

    def fits(state):
        _check_packs(run_dir, state, config)
        if "config" in state:  # checkpoints of evogan before 0.2 do not record it
            _check_resume_config(run_dir, state["config"], config)
        try:
            check_fits(experiment, state["experiment"])
            if state["experiment"]["generation"] != state["generation"]:
                raise DamagedCheckpoint(f"its parts disagree on the generation ({state['experiment']['generation']!r}, "
                                        f"{state['generation']!r})")
            runner = state["runner"]
            if not isinstance(runner, dict) or not {"history", "rows", "wall", "snapshots"} <= set(runner):
                raise DamagedCheckpoint("its runner records (log rows, metric history) are missing or incomplete")
        except (KeyError, TypeError) as err:
            raise DamagedCheckpoint(f"not an evogan run checkpoint (no {err})") from None
    try:
        checkpoint, path = load_latest_checkpoint(run_dir / "checkpoints", check=fits)
    except FileNotFoundError as err:
        raise ConfigError(f"--resume {run_dir}: {err}; start it again with `evogan run`") from None
    (run_dir / "config.toml").write_text(config_to_toml(config))
    print(f"evogan: resuming {run_dir} from {path.name} (generation {checkpoint['generation']})", file=sys.stderr)
    return checkpoint


def _check_resume_config(run_dir: Path, before: dict, config: Config) -> None:
    now = config_to_dict(config)
    unsafe = unsafe_to_resume(before, now)
    if unsafe:
        changes = ", ".join(f"{key}: {flat_config(before).get(key)!r} -> {flat_config(now).get(key)!r}"
                            for key in unsafe[:4])
        raise ConfigError(f"--resume {run_dir}: the config differs from the checkpoint's run in keys that change "
                          f"what it computes ({changes}); start a new run for that")
    if before.get("generations") != config.generations and (config.schedule.g != "constant"
                                                            or config.schedule.d != "constant"):
        warnings.warn(f"generations {before.get('generations')} -> {config.generations}: the learning-rate "
                      "schedule is a function of the whole budget, so the rates from here on follow the new one",
                      UserWarning, stacklevel=2)


def _execute(config: Config, run_dir: Path, progress: bool | None, resuming: bool, hint: str | None = None) -> None:
    with contextlib.ExitStack() as cleanup:  # closed in reverse, also on errors and Ctrl-C
        experiment = Experiment(config)
        cleanup.callback(experiment.close)  # stops parallel workers
        records = {"history": [], "rows": [], "wall": 0.0, "snapshots": {}}
        if resuming:
            checkpoint = _load_checkpoint(experiment, run_dir)
            restore_experiment(experiment, checkpoint["experiment"])
            records = checkpoint["runner"]
        check_disk_space(experiment, run_dir)
        writer = LogWriter(run_dir, records["rows"])
        cleanup.callback(writer.close)
        bar = Progress(config.generations, enabled=config.log.progress if progress is None else progress,
                       initial=experiment.generation)
        cleanup.callback(bar.close)
        interrupt = cleanup.enter_context(GracefulInterrupt())
        try:
            _run_experiment(experiment, run_dir, writer, bar, records, interrupt,
                            hint or f"evogan run --resume {run_dir}")
        except TrainingDiverged as err:  # the state in memory is bad: point at the last good one
            before = [p for p in checkpoint_files(run_dir / "checkpoints") if int(p.stem[3:]) < err.since]
            where = (f"the newest checkpoint, {before[0]}, is from before it" if before else
                     "no checkpoint was written before it (log.checkpoint_every)")
            raise TrainingFailed(f"{err}; {where}") from None


#: bytes a checkpoint grows by per generation and log, and per evaluation beside its samples (measured on a ring run,
#: population 2, three mutations: 408-504 B a log row, 96 B a metrics row; with a margin)
LOG_ROW_BYTES = 640
METRIC_ROW_BYTES = 160


def checkpoint_bytes(experiment: Experiment) -> tuple[int, int]:
    """(about the size of the run's last checkpoint, the logs it holds): the tensors of the state now plus a log row
    per generation for the run, each island and the runner's copy."""
    sizes = []
    tree_map(lambda t: sizes.append(t.numel() * t.element_size()), experiment_state(experiment))
    config, logs = experiment.config, len(experiment.demes) + 1
    evaluations = config.generations // config.metrics.every + 2
    # vector data keep every evaluation's samples (samples.png, samples.npz), float32; images write grids instead
    snapshot = 0 if experiment.data.kind == "image" else experiment.metric_samples * getattr(experiment.data, "dim", 1) * 4
    per_evaluation = snapshot + METRIC_ROW_BYTES
    return sum(sizes) + config.generations * logs * LOG_ROW_BYTES + evaluations * per_evaluation, logs


def check_disk_space(experiment: Experiment, run_dir: Path) -> None:
    """A clear error before training when the disk cannot hold the checkpoints this run keeps (plus one being written)."""
    last, logs = checkpoint_bytes(experiment)
    needed = last * (experiment.config.log.checkpoint_keep + 1)
    free = shutil.disk_usage(run_dir).free
    if free < needed:
        raise ConfigError(f"not enough free disk space in {run_dir}: its checkpoints need about {needed / 2**20:.0f} MB "
                          f"(log.checkpoint_keep + 1 = {experiment.config.log.checkpoint_keep + 1} files of up to "
                          f"{last / 2**20:.1f} MB each at generation {experiment.config.generations}: the networks and "
                          f"{logs} log(s) of a row per generation), {free / 2**20:.0f} MB free")


def _run_experiment(experiment: Experiment, run_dir: Path, writer: LogWriter, bar: Progress, records: dict,
                    interrupt: GracefulInterrupt, hint: str) -> None:
    config = experiment.config
    mutations = mutation_names(experiment.toolbox)  # includes mutations users registered themselves
    drawn = RunFigures(run_dir, experiment)
    drawn.snapshots = {int(gen): samples.numpy() for gen, samples in records["snapshots"].items()}
    history, rows = list(records["history"]), list(records["rows"])
    every, last = config.metrics.every, config.generations
    started = None

    def evaluate(wall):
        samples = experiment.sample(experiment.metric_samples)
        metrics = experiment.data.metrics(samples)
        metrics.update(generation=experiment.generation, wall_time=wall)
        return samples, metrics

    def measure(wall):
        samples, metrics = evaluate(wall)
        history.append(metrics)
        drawn.evaluated(samples, metrics)
        metrics_log.append(json.dumps(metrics) + "\n")

    def cpu_seconds():
        return time.process_time() - cpu_started

    def checkpoint(wall):
        write_provenance(run_dir, experiment.device, cpu_seconds=cpu_seconds(), wall_seconds=wall,
                         generation=experiment.generation)
        runner = {"history": history, "rows": rows, "wall": wall, "cpu": cpu_seconds(),
                  "snapshots": {str(gen): samples for gen, samples in drawn.snapshots.items()}}
        state = plain({"experiment": experiment_state(experiment), "runner": runner, "generation": experiment.generation,
                       "config": config_to_dict(config), "batches": "packs"})
        save_checkpoint(run_dir / "checkpoints", experiment.generation, state, keep=config.log.checkpoint_keep)

    def after_generation(gen, population, logbook):
        wall = time.perf_counter() - started
        row = flatten_record(logbook, mutations)
        row["wall_time"] = wall
        rows.append(row)
        writer.write(row)
        drawn.generation(row)
        out_of_time = 0 < config.max_seconds <= wall or 0 < config.max_cpu_seconds <= cpu_seconds()
        if gen % every == 0 or gen == last or out_of_time:
            measure(wall)
        bar.update(gen, f"{summary_line(history[-1])} @ gen {history[-1]['generation']}")
        periodic = config.log.checkpoint_every and gen % config.log.checkpoint_every == 0
        hopeless = row["discarded"] == row["nevals"]  # every child invalid: maybe diverging, keep the older ones
        if (periodic and not hopeless) or gen == last or out_of_time or interrupt.requested:
            checkpoint(wall)
        if interrupt.requested:  # the checkpoint is written; the metrics of now are not part of the run's history
            latest = history[-1] if history[-1]["generation"] == gen else evaluate(wall)[1]
            write_final(latest, interrupted=True)
            written = "checkpoint, metrics.json" + (" and plots" if config.log.plots else "")
            print(f"\nevogan: stopped after generation {gen}: {written} written; "
                  f"resume with: {hint}", file=sys.stderr)
            raise KeyboardInterrupt
        return out_of_time

    def write_final(latest: dict, interrupted: bool = False):
        final = dict(latest)
        reached = _first_all_modes(history)
        final["first_all_modes_generation"] = reached["generation"] if reached else None
        final["first_all_modes_wall_time"] = reached["wall_time"] if reached else None
        final["sample_from"] = config.metrics.sample_from
        final["stopped_by_time"] = not interrupted and experiment.generation < last
        if interrupted:
            final["interrupted"] = True  # not finished: `--resume` goes on, compare and benchmarks run it again
        write_provenance(run_dir, experiment.device, cpu_seconds=cpu_seconds(), wall_seconds=final["wall_time"],
                         generation=experiment.generation)
        (run_dir / "metrics.json").write_text(json.dumps(final, indent=2) + "\n")
        drawn.finish(history + ([latest] if latest is not history[-1] else []), rows, mutations, config.log.plots)

    metrics_log = AppendLog(run_dir / "metrics.jsonl")  # a resumed run rewrites it up to its checkpoint
    try:
        for metrics in history:
            metrics_log.append(json.dumps(metrics) + "\n")
        if not history:
            measure(0.0)
        # wall time counts training (and later evaluations), not the first evaluation; a resumed run goes on from its
        # total
        started = time.perf_counter() - records["wall"]
        cpu_started = time.process_time() - records.get("cpu", 0.0)  # checkpoints of evogan before provenance lack it
        experiment.run(callback=after_generation)
        write_final(history[-1])
    finally:
        metrics_log.close()
