"""Image strategies under one time budget per run, several seeds: the machinery of stacked_mnist.py and
mnist_presets.py.

Each strategy (a preset in runs/ plus overrides) trains for ``--cpu-minutes``
of its process's CPU time (``max_cpu_seconds``: equal compute whatever else
the machine runs), ``--minutes`` of wall time (``max_seconds``) or
``--generations`` (equal work only where a generation costs the same); the metrics
are computed at the start and at the stop, outside a wall budget. The table
gives the generations each made, the modes (digit classes) covered, KL(generated
|| uniform) over them and the FID on the digit classifier's features: mean ±
standard error over the seeds that finished, seeds named, every seed listed,
each row's measured CPU seconds, and the papers' rows beside them. ``--jobs``
runs go at once with one torch thread each, seed-major, so the strategies of
one seed share the machine under the same load. Finished runs are kept in
``benchmarks/results/<out's name>/`` (committed) and skipped by later calls. A
run under a CPU or generation budget checkpoints and resumes where it stopped (CPU time adds
up over resumes; ``--keep-partial`` commits the newest checkpoints, so a fresh
clone resumes too); one under a wall budget starts over (a paused wall clock is
not comparable).
"""

from __future__ import annotations

import argparse
import math
import statistics
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import kept_runs
from kept_runs import PRESETS, ROOT, finished, mean_se, values

from evogan.compare import paired_interval, paired_test, welch_interval, welch_test
from evogan.io.provenance import read_cpu_seconds

#: a CPU-budget run's checkpoint interval: at most this many generations are trained twice after a cut-off
CHECKPOINT_EVERY = 100


@dataclass(frozen=True)
class Table:
    """One benchmark: ``dataset`` names its runs' folder level and its out folder's prefix."""

    dataset: str
    title: str
    #: strategy → (label, preset in runs/, overrides)
    strategies: dict[str, tuple[str, str, list[str]]]
    default_strategies: list[str]
    modes_of: int
    #: the strategies asked → the papers' rows to print beside them: (label, modes, KL)
    paper_rows: Callable[[list[str]], list[tuple[str, float, float]]] = lambda strategies: []


def arguments(table: Table, strategy: str, seed: int, args) -> list[str]:
    """The ``evogan run`` arguments of one strategy's run of one seed under the budget ``args`` ask for."""
    _, run_file, overrides = table.strategies[strategy]
    generations = getattr(args, "generations", None)
    if generations is not None:
        budget = [f"generations={generations}", f"log.checkpoint_every={CHECKPOINT_EVERY}"]
    elif args.cpu_minutes is not None:
        budget = [f"max_cpu_seconds={args.cpu_minutes * 60}", f"log.checkpoint_every={CHECKPOINT_EVERY}",
                  "generations=1000000"]
    else:
        budget = [f"max_seconds={args.minutes * 60}", "log.checkpoint_every=0", "generations=1000000"]
    budget += ["metrics.every=1000000000", "log.plots=false", f"seed={seed}"]
    return [str(PRESETS / f"{run_file}.toml"), *kept_runs.sets(budget + overrides + args.overrides)]


def execute(table: Table, strategy: str, seed: int, args) -> str:
    resumable = args.cpu_minutes is not None or getattr(args, "generations", None) is not None
    return kept_runs.execute(Path(args.out), table.dataset, strategy, seed, arguments(table, strategy, seed, args),
                             resumable=resumable)


def budget_words(args) -> str:
    if getattr(args, "generations", None) is not None:
        return f"{args.generations} generations"
    return f"{args.cpu_minutes:g} CPU minutes" if args.cpu_minutes is not None else f"{args.minutes:g} min of wall time"


def _fid(final: dict) -> str:
    return "—" if final.get("fid") is None else f"{final['fid']:.1f}"


def current(table: Table, strategy: str, args, say: bool = True) -> list[tuple[int, dict, list[dict]]]:
    """The finished runs of ``strategy`` (``kept_runs.finished``) made with the config its arguments give now; the
    others (a preset edited since) are not counted, with a line each on stdout when ``say``."""
    runs = []
    for seed, final, history in finished(Path(args.out), table.dataset, strategy, args.seeds):
        folder = kept_runs.folder_of(Path(args.out), table.dataset, strategy, seed)
        stale = kept_runs.stale_keys(folder, arguments(table, strategy, seed, args))
        if stale and say:
            where = folder.resolve().relative_to(ROOT) if folder.resolve().is_relative_to(ROOT) else folder
            print(f"not counted: {strategy} seed {seed} was made with another {', '.join(stale)} ({where})")
        if not stale:
            runs.append((seed, final, history))
    return runs


def report(table: Table, args) -> None:
    print(f"\n{table.title}, {budget_words(args)} per run, {args.jobs} run(s) at once with one torch "
          f"thread each; extra: {', '.join(args.overrides) or 'none'}; seeds asked: {args.seeds}\n")
    print(f"| strategy | seeds | generations | modes (of {table.modes_of}) | KL | FID (classifier features) | "
          "CPU s / run (measured) |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    every_seed = []
    for strategy in args.strategies:
        runs = current(table, strategy, args)
        finals, seeds = [final for _, final, _ in runs], [seed for seed, _, _ in runs]
        label = table.strategies[strategy][0]
        if not finals:
            print(f"| {label} | none finished | | | | | |")
            continue
        cpu = [s for s in (read_cpu_seconds(kept_runs.folder_of(Path(args.out), table.dataset, strategy, seed))
                           for seed in seeds) if s is not None]
        print(f"| {label} | {','.join(map(str, seeds))} | {mean_se(values(finals, 'generation'), 0)} | "
              f"{mean_se(values(finals, 'modes'), 0)} | {mean_se(values(finals, 'kl'), 2)} | "
              f"{mean_se(values(finals, 'fid'), 1)} | {mean_se(cpu, 0)} |")
        every_seed.append(f"- {label}: " + "; ".join(f"{seed}: {final['modes']} / {final['kl']:.2f} / {_fid(final)}"
                                                       for seed, final in zip(seeds, finals)))
    for label, modes, kl in table.paper_rows(args.strategies):
        print(f"| {label} | | | {modes} | {kl} | | |")
    if every_seed:
        print("\nEvery seed (modes / KL / FID):\n\n" + "\n".join(every_seed))
    if getattr(args, "paired", None):
        differences_report(table, args, args.paired, paired=True)
    if getattr(args, "against", None):
        differences_report(table, args, args.against, paired=False)


def _measured(final: dict) -> bool:
    return all(final.get(key) is not None for key in ("modes", "kl"))


def differences_report(table: Table, args, baseline: str, *, paired: bool) -> None:
    """Each strategy minus ``baseline``: the mean difference, its 95 % t interval and the t-test's p. Paired, it
    differences seed by seed over the seeds both finished: the design where a seed is the same run in both until
    they differ (a selection that acts only when it must), so its differences, not the strategies' spreads over
    seeds, are what a difference is judged against. Unpaired (strategies that share nothing but a seed number), it
    compares every finished seed of each with Welch's interval and test."""
    base = {seed: final for seed, final, _ in current(table, baseline, args, say=baseline not in args.strategies)}
    interval_of, test_of = (paired_interval, paired_test) if paired else (welch_interval, welch_test)
    print(f"\n{'Paired by seed' if paired else 'Unpaired (Welch)'}, minus {table.strategies[baseline][0]} "
          f"(mean difference, its 95 % t interval, the {'paired' if paired else 'Welch'} t-test's p):\n")
    print("| strategy | seeds | modes | p | KL | p | generations |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    for strategy in (s for s in args.strategies if s != baseline):
        runs = [(final, seed) for seed, final, _ in current(table, strategy, args, say=False)
                if _measured(final) and (not paired or seed in base and _measured(base[seed]))]
        theirs = [base[seed] for _, seed in runs] if paired else [final for final in base.values() if _measured(final)]
        cells = []
        for key, digits in (("modes", 0), ("kl", 2), ("generation", 0)):
            a, b = [float(final[key]) for final, _ in runs], [float(final[key]) for final in theirs]
            mean = statistics.fmean(a) - statistics.fmean(b) if a and b else math.nan
            low, high = interval_of(a, b)
            interval = f" [{low:+.{digits}f}, {high:+.{digits}f}]" if math.isfinite(low) else ""  # needs 3 a side
            p = test_of(a, b) if key != "generation" else None
            cells += [f"{mean:+.{digits}f}{interval}"] + ([] if p is None else ["—" if math.isnan(p) else f"{p:.3f}"])
        print(f"| {table.strategies[strategy][0]} | {','.join(str(seed) for _, seed in runs) or 'none'} | "
              f"{' | '.join(cells)} |")


def main(table: Table, description: str, argv=None) -> None:
    parser = argparse.ArgumentParser(description=description)
    clock = parser.add_mutually_exclusive_group()
    clock.add_argument("--minutes", type=float, default=9.0, help="wall-clock budget of every run")
    clock.add_argument("--cpu-minutes", type=float, default=None,
                       help="CPU-time budget of every run (its process, all threads; resumable)")
    clock.add_argument("--generations", type=int, default=None,
                       help="a generation budget instead of a clock (equal work where a generation costs the same, "
                            "e.g. the same strategy ranked two ways; resumable)")
    parser.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2])
    parser.add_argument("--strategies", nargs="+", default=table.default_strategies, choices=list(table.strategies))
    parser.add_argument("--jobs", type=int, default=2, help="runs at once, one torch thread each")
    parser.add_argument("--set", dest="overrides", action="append", default=[], help="extra override for every run")
    parser.add_argument("--out", default=None, help=f"default: benchmarks/out/{table.dataset}_<minutes>[cpu]min")
    parser.add_argument("--report-only", action="store_true", help="print the table of what has finished; run nothing")
    parser.add_argument("--paired", default=None, choices=list(table.strategies),
                        help="also print every other strategy minus this one, seed by seed (for strategies that are "
                             "the same run until they differ)")
    parser.add_argument("--against", default=None, choices=list(table.strategies),
                        help="also print every other strategy minus this one, unpaired (Welch's interval and test "
                             "over every finished seed of each)")
    parser.add_argument("--keep-partial", action="store_true",
                        help="CPU or generation budgets: keep the newest checkpoint of every unfinished run in "
                             "benchmarks/results; run nothing")
    args = parser.parse_args(argv)
    folder = (f"{table.dataset}_{args.generations}gens" if args.generations is not None
              else f"{table.dataset}_{args.cpu_minutes:g}cpumin" if args.cpu_minutes is not None
              else f"{table.dataset}_{args.minutes:g}min")
    args.out = args.out or str(ROOT / "benchmarks" / "out" / folder)
    if args.keep_partial:
        for strategy in args.strategies:
            for seed in args.seeds:
                kept_runs.keep(Path(args.out), table.dataset, strategy, seed)
    elif not args.report_only:
        jobs = [(strategy, seed) for seed in args.seeds for strategy in args.strategies]
        with ThreadPoolExecutor(args.jobs) as pool:
            for line in pool.map(lambda job: execute(table, *job, args), jobs):
                print(line, flush=True)
    report(table, args)
    print("\n" + kept_runs.made_with())
