"""PacGAN's Table 1 protocol on the ring and the grid: GAN, PacGAN, E-GAN and its variants, several seeds.

Every strategy gets the same networks, discriminator steps per generation,
learning rates and schedule, and generation budget (the CPU protocol below,
or PacGAN's own with ``--full``). Prints, per dataset, a table in the format
of PacGAN's Table 1 (modes covered, % high-quality samples, reverse KL; mean
± standard error over the seeds that finished, seeds named) with the paper's
rows beside it, plus the gap mass and near-mode spread that explain HQ, the
wall time per run, and HQ over generations (mean over seeds) so the trend is
visible. Each run is a normal evogan run directory under ``--out``
(git-ignored); unfinished ones resume from their checkpoint. A finished run's
config.toml, metrics.json and metrics.jsonl are also kept in
``benchmarks/results/<out's name>/`` (committed), which the table reads and
which counts as done; of an unfinished run, its config and newest checkpoint
(``partial/``, written by ``--report-only`` too), which a later session on a
fresh clone resumes from instead of starting over. ``--jobs`` runs that many
at once (one torch thread each).

    python benchmarks/mode_collapse.py [--datasets ring grid] [--strategies gan egan ...] [--seeds 0 1 2 3 4]
        [--jobs 2] [--full] [--set KEY=VALUE] [--report-only]
"""

from __future__ import annotations

import argparse
import json
import statistics
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import kept_runs
from kept_runs import PRESETS, ROOT, finished, keep, mean_se, values

EGAN = ["minimax", "heuristic", "least_squares"]

#: The CPU protocol (the default): the default MLPs (3 x 128), lr 1e-3 for G and D decayed by a cosine to 1 %,
#: two D steps per generation, batch 256, 6,000 generations (3-6 minutes per mu = 1 run on one core). Together with
#: a strategy's overrides it sets every key runs/default.toml sets, so it does not depend on that file.
CPU = ["generations=6000", "batch_size=256", "lr_g=1e-3", "lr_d=1e-3", "schedule.g='cosine'", "schedule.d='cosine'",
       "schedule.final=0.01", "metrics.every=500", "log.checkpoint_every=500"]
#: PacGAN's protocol (runs/<dataset>_pacgan.toml: its networks, Adam, batch 100, 400,000 iterations): a GPU budget.
FULL = ["metrics.every=10000", "log.checkpoint_every=10000"]

GAN = ["population_size=1", "mutations=['heuristic']", "p_cross=0.0"]
EGAN_1 = ["population_size=1", f"mutations={json.dumps(EGAN)}", "p_cross=0.0"]

#: strategy → (label, overrides of the protocol)
STRATEGIES = {
    "gan": ("GAN", GAN),
    # batch sizes count packs, as PacGAN counts them: PacGAN2 at batch 256 sees 256 packs of 2
    "pacgan2": ("PacGAN2", GAN + ["pack=2"]),
    "pacgan4": ("PacGAN4", GAN + ["pack=4"]),
    # the PacGAN rows measured before batch sizes counted packs (256 samples = 128 packs of 2, 64 of 4)
    "pacgan2_samples": ("PacGAN2 on 256 samples", GAN + ["pack=2", "batch_size=128", "eval_batch_size=128"]),
    "pacgan4_samples": ("PacGAN4 on 256 samples", GAN + ["pack=4", "batch_size=64", "eval_batch_size=64"]),
    "egan": ("E-GAN (mu = 1)", EGAN_1),
    # the same, ranked by F_q - gamma F_d: the sign of E-GAN's released code (fitness/egan.py)
    "egan_released": ("E-GAN (mu = 1), F as its released code", EGAN_1 + ["fitness='egan_released'"]),
    "egan_crossover": ("E-GAN + crossover (mu = 2)", ["population_size=2", f"mutations={json.dumps(EGAN)}", "p_cross=0.5"]),
    "egan_pack": ("E-GAN + packing 2", EGAN_1 + ["pack=2", "batch_size=128", "eval_batch_size=128"]),
    "egan_entropy": ("E-GAN + entropy", ["population_size=1", f"mutations={json.dumps([m + '+entropy' for m in EGAN])}",
                                         "p_cross=0.0"]),
    "dyngan": ("E-GAN + DynGAN niches", EGAN_1 + ["dyngan.enabled=true"]),
}

#: PacGAN, Table 1 (10 trials), the rows quoted in issue 15: label → {dataset: (modes, % HQ, reverse KL)}
PAPER = {
    "GAN": {"ring": (6.3, 98.2, 0.45), "grid": (17.3, 94.8, 0.70)},
    "PacGAN4": {"ring": (7.8, 95.9, 0.07), "grid": (24.8, 93.6, 0.04)},
}


def execute(dataset: str, strategy: str, seed: int, args) -> str:
    """One run in its own process (one torch thread); resumed from its checkpoint when a previous one stopped."""
    config = [str(PRESETS / f"{dataset}_pacgan.toml")] if args.full else []
    protocol = FULL if args.full else CPU
    overrides = [f"dataset='{dataset}'", f"seed={seed}", *protocol, *STRATEGIES[strategy][1], "log.plots=false",
                 *args.overrides]
    return kept_runs.execute(Path(args.out), dataset, strategy, seed, config + kept_runs.sets(overrides))


def report(args) -> None:
    out = Path(args.out)
    budget = "PacGAN's protocol (runs/<dataset>_pacgan.toml)" if args.full else "CPU protocol: " + ", ".join(CPU[:7])
    print(f"\n{budget}; extra: {', '.join(args.overrides) or 'none'}; seeds asked: {args.seeds}")
    for dataset in args.datasets:
        n_modes = 8 if dataset == "ring" else 25
        print(f"\n### {dataset}\n")
        print("| strategy | seeds | modes (of %d) | %% high quality | reverse KL | %% gap mass | spread r / t (σ) | wall s / run |"
              % n_modes)
        print("| --- | --- | --- | --- | --- | --- | --- | --- |")
        trends = {}
        for strategy in args.strategies:
            label = STRATEGIES[strategy][0]
            for seed in args.seeds:
                keep(out, dataset, strategy, seed)
            runs = finished(out, dataset, strategy, args.seeds)
            finals, seeds = [final for _, final, _ in runs], [seed for seed, _, _ in runs]
            for _, _, history in runs:
                for row in history:
                    trends.setdefault(strategy, {}).setdefault(row["generation"], []).append(row["high_quality"])
            if not finals:
                print(f"| {label} | none finished | | | | | | |")
                continue
            pick = lambda key: values(finals, key)  # noqa: E731
            spread = f"{mean_se(pick('spread_radial'), 2)} / {mean_se(pick('spread_tangential'), 2)}"
            print(f"| {label} | {','.join(map(str, seeds))} | {mean_se(pick('modes_covered'), 1)} | "
                  f"{mean_se(pick('high_quality'), 1)} | {mean_se(pick('reverse_kl'), 3)} | {mean_se(pick('gap_mass'), 1)} | "
                  f"{spread} | {mean_se(pick('wall_time'), 0)} |")
        for label, rows in PAPER.items():
            modes, hq, kl = rows[dataset]
            print(f"| paper: {label} (10 trials) | | {modes} | {hq} | {kl} | | | |")
        if trends:
            gens = sorted({g for t in trends.values() for g in t})
            print("\n% high quality over generations (mean over finished seeds):\n")
            print("| strategy | " + " | ".join(str(g) for g in gens) + " |")
            print("| --- |" + " --- |" * len(gens))
            for strategy, by_gen in trends.items():
                cells = [f"{statistics.fmean(by_gen[g]):.1f}" if g in by_gen else "" for g in gens]
                print(f"| {STRATEGIES[strategy][0]} | " + " | ".join(cells) + " |")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datasets", nargs="+", default=["ring", "grid"], choices=["ring", "grid"])
    parser.add_argument("--strategies", nargs="+", default=list(STRATEGIES), choices=list(STRATEGIES))
    parser.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2, 3, 4])
    parser.add_argument("--jobs", type=int, default=2, help="runs at once, one torch thread each")
    parser.add_argument("--full", action="store_true", help="PacGAN's 400,000-iteration protocol (a GPU budget)")
    parser.add_argument("--set", dest="overrides", action="append", default=[], help="extra override for every run")
    parser.add_argument("--out", default=str(ROOT / "benchmarks" / "out" / "mode_collapse"))
    parser.add_argument("--report-only", action="store_true", help="print the table of what has finished; run nothing")
    args = parser.parse_args()
    if args.full and args.out == parser.get_default("out"):
        args.out += "_full"
    if not args.report_only:
        # seed-major order: every strategy gets its first seeds before any gets its last
        jobs = [(d, s, seed) for seed in args.seeds for d in args.datasets for s in args.strategies]
        with ThreadPoolExecutor(args.jobs) as pool:
            for line in pool.map(lambda job: execute(*job, args), jobs):
                print(line, flush=True)
    report(args)
    print("\n" + kept_runs.made_with())


if __name__ == "__main__":
    main()
