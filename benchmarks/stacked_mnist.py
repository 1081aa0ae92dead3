"""Stacked MNIST (PacGAN's Tables 2 and 3) on CPU under one time budget per run, several seeds.

Each strategy (a stacked_mnist_* preset plus overrides) trains for
``--cpu-minutes`` of its process's CPU time (``max_cpu_seconds``: equal compute
whatever else the machine runs) or ``--minutes`` of wall time
(``max_seconds``); the metrics are computed at the start and at the stop,
outside a wall budget. It then reports the generations it made, modes covered
out of 1,000 and KL(generated || uniform) over the preset's mode samples, and
FID on the digit classifier's features: mean ± standard error over the seeds
that finished, seeds named, with PacGAN's rows beside them. ``--jobs`` runs go
at once with one torch thread each, seed-major, so the strategies of one seed
share the machine under the same load. Finished runs are kept in
``benchmarks/results/<out's name>/`` (committed) and skipped by later calls.
A run under a CPU budget checkpoints and resumes where it stopped (CPU time
adds up over resumes; ``--keep-partial`` commits the newest checkpoints, so a
fresh clone resumes too); one under a wall budget starts over (a paused wall
clock is not comparable).

    python benchmarks/stacked_mnist.py [--cpu-minutes 20 | --minutes 9] [--seeds 0 1 2] [--strategies gan ...]
        [--jobs 2] [--set KEY=VALUE] [--report-only] [--keep-partial]
"""

from __future__ import annotations

import argparse
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import kept_runs
from kept_runs import PRESETS, ROOT, finished, mean_se, values

from evogan.io.provenance import read_cpu_seconds

#: strategy → (label, preset in runs/, overrides)
STRATEGIES = {
    "gan": ("DCGAN (single loss)", "stacked_mnist_gan", []),
    "pacgan2": ("PacDCGAN2 (batch counts packs, as PacGAN)", "stacked_mnist_gan", ["pack=2"]),
    "egan": ("E-GAN (mu = 4)", "stacked_mnist_egan", []),
    "egan_crossover": ("E-GAN + crossover (mu = 4)", "stacked_mnist_egan_crossover", []),
    "egan_mu1": ("E-GAN (mu = 1)", "stacked_mnist_egan", ["population_size=1"]),
    "egan_balanced": ("E-GAN rebalanced (mu = 1, 2 losses, F = F_q, 1 D step)", "stacked_mnist_egan_balanced",
                      ["pack=1", "batch_size=64", "eval_batch_size=64"]),
    "egan_balanced_pack": ("E-GAN rebalanced + packing 2", "stacked_mnist_egan_balanced", ["pack=2"]),
}
#: PacGAN's hard variants (its Table 3): the small DCGAN with D = 1/2 G or 1/4 G (evogan/models/unrolled.py), each
#: with the single GAN, PacGAN2 (128 packs a step, as there), E-GAN's three losses, E-GAN + packing 2, and the
#: built-in default's strategy (two packed generators against one D, one heuristic child each, no selection). Only
#: E-GAN evaluates its children (fitness egan); the others evaluate nothing, as their papers' methods do
_EGAN = ["mutations=['minimax', 'heuristic', 'least_squares']", "fitness='egan'"]  # the presets score nothing
HARD_SIZES = {"half": "1/2", "quarter": "1/4"}
for _size, _label in HARD_SIZES.items():
    _preset = f"stacked_mnist_unrolled_{_size}_d"
    STRATEGIES.update({
        f"gan_{_size}_d": (f"DCGAN, D = {_label} G", _preset, []),
        f"pacgan2_{_size}_d": (f"PacDCGAN2, D = {_label} G", _preset, ["pack=2"]),
        f"egan_{_size}_d": (f"E-GAN (mu = 1, 3 losses), D = {_label} G", _preset, _EGAN),
        f"egan_pack2_{_size}_d": (f"E-GAN + packing 2, D = {_label} G", _preset, [*_EGAN, "pack=2"]),
        f"mixture2_{_size}_d": (f"2 PacDCGAN2 generators mixed (evogan's default strategy), D = {_label} G", _preset,
                                ["pack=2", "population_size=2", "selection='lineage'"]),
    })

#: PacGAN, Table 2 (the VEEGAN protocol's DCGAN, GPU, full training): label → (modes, KL)
PAPER = {"DCGAN": (99, 3.40), "VEEGAN": (150, 2.95), "PacDCGAN2": (1000, 0.06)}
#: PacGAN, Table 3 (D = 1/4 G and 1/2 G, 50 trials, GPU, full training): size (HARD_SIZES) → label → (modes, KL)
PAPER_HARD = {
    "quarter": {"DCGAN (PacGAN's)": (78.5, 5.21), "PacDCGAN2": (484.5, 2.61), "PacDCGAN3": (601.3, 2.00),
                "PacDCGAN4": (667.4, 1.81)},
    "half": {"DCGAN (PacGAN's)": (487.7, 2.24), "PacDCGAN2": (840.7, 1.00), "PacDCGAN3": (866.6, 0.90),
             "PacDCGAN4": (820.2, 1.15)},
}


#: a CPU-budget run's checkpoint interval: at most this many generations are trained twice after a cut-off
CHECKPOINT_EVERY = 100


def execute(strategy: str, seed: int, args) -> str:
    _, run_file, overrides = STRATEGIES[strategy]
    on_cpu = args.cpu_minutes is not None
    budget = ([f"max_cpu_seconds={args.cpu_minutes * 60}", f"log.checkpoint_every={CHECKPOINT_EVERY}"] if on_cpu
              else [f"max_seconds={args.minutes * 60}", "log.checkpoint_every=0"])
    budget += ["generations=1000000", "metrics.every=1000000000", "log.plots=false", f"seed={seed}"]
    arguments = [str(PRESETS / f"{run_file}.toml"), *kept_runs.sets(budget + overrides + args.overrides)]
    return kept_runs.execute(Path(args.out), "stacked_mnist", strategy, seed, arguments, resumable=on_cpu)


def report(args) -> None:
    budget = (f"{args.cpu_minutes:g} CPU minutes" if args.cpu_minutes is not None else f"{args.minutes:g} min of wall time")
    print(f"\nStacked MNIST, {budget} per run, {args.jobs} run(s) at once with one torch "
          f"thread each; extra: {', '.join(args.overrides) or 'none'}; seeds asked: {args.seeds}\n")
    print("| strategy | seeds | generations | modes (of 1000) | KL | FID (classifier features) | CPU s / run (measured) |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    every_seed = []
    for strategy in args.strategies:
        runs = finished(Path(args.out), "stacked_mnist", strategy, args.seeds)
        finals, seeds = [final for _, final, _ in runs], [seed for seed, _, _ in runs]
        label = STRATEGIES[strategy][0]
        if not finals:
            print(f"| {label} | none finished | | | | | |")
            continue
        cpu = [s for s in (read_cpu_seconds(kept_runs.folder_of(Path(args.out), "stacked_mnist", strategy, seed))
                           for seed in seeds) if s is not None]
        print(f"| {label} | {','.join(map(str, seeds))} | {mean_se(values(finals, 'generation'), 0)} | "
              f"{mean_se(values(finals, 'modes'), 0)} | {mean_se(values(finals, 'kl'), 2)} | "
              f"{mean_se(values(finals, 'fid'), 1)} | {mean_se(cpu, 0)} |")
        every_seed.append(f"- {label}: " + "; ".join(f"{seed}: {final['modes']} / {final['kl']:.2f}"
                                                       for seed, final in zip(seeds, finals)))
    hard = {size for size in HARD_SIZES if any(s.endswith(f"_{size}_d") for s in args.strategies)}
    if any(not s.endswith("_d") for s in args.strategies):  # PacGAN's rows for the networks the table holds
        for label, (modes, kl) in PAPER.items():
            print(f"| paper, Table 2: {label} (GPU, full training) | | | {modes} | {kl} | | |")
    for size in PAPER_HARD:
        if size not in hard:
            continue
        for label, (modes, kl) in PAPER_HARD[size].items():
            print(f"| paper, Table 3, D = {HARD_SIZES[size]} G: {label} (GPU, full training) | | | {modes} | {kl} | | |")
    if every_seed:
        print("\nEvery seed (modes / KL):\n\n" + "\n".join(every_seed))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    clock = parser.add_mutually_exclusive_group()
    clock.add_argument("--minutes", type=float, default=9.0, help="wall-clock budget of every run")
    clock.add_argument("--cpu-minutes", type=float, default=None,
                       help="CPU-time budget of every run (its process, all threads; resumable)")
    parser.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2])
    parser.add_argument("--strategies", nargs="+", default=["gan", "egan_balanced_pack", "egan_balanced"], choices=list(STRATEGIES))
    parser.add_argument("--jobs", type=int, default=2, help="runs at once, one torch thread each")
    parser.add_argument("--set", dest="overrides", action="append", default=[], help="extra override for every run")
    parser.add_argument("--out", default=None, help="default: benchmarks/out/stacked_mnist_<minutes>min")
    parser.add_argument("--report-only", action="store_true", help="print the table of what has finished; run nothing")
    parser.add_argument("--keep-partial", action="store_true",
                        help="CPU budgets: keep the newest checkpoint of every unfinished run in benchmarks/results; "
                             "run nothing")
    args = parser.parse_args()
    folder = f"stacked_mnist_{args.cpu_minutes:g}cpumin" if args.cpu_minutes is not None else f"stacked_mnist_{args.minutes:g}min"
    args.out = args.out or str(ROOT / "benchmarks" / "out" / folder)
    if args.keep_partial:
        for strategy in args.strategies:
            for seed in args.seeds:
                kept_runs.keep(Path(args.out), "stacked_mnist", strategy, seed)
    elif not args.report_only:
        jobs = [(strategy, seed) for seed in args.seeds for strategy in args.strategies]
        with ThreadPoolExecutor(args.jobs) as pool:
            for line in pool.map(lambda job: execute(*job, args), jobs):
                print(line, flush=True)
    report(args)
    print("\n" + kept_runs.made_with())


if __name__ == "__main__":
    main()
