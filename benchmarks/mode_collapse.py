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
import math
import os
import shutil
import statistics
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
EGAN = ["minimax", "heuristic", "least_squares"]

#: The CPU protocol (the default): the default MLPs (3 x 128), lr 1e-3 for G and D decayed by a cosine to 1 %,
#: two D steps per generation, batch 256, 6,000 generations (3-6 minutes per mu = 1 run on one core). Together with
#: a strategy's overrides it sets every key evogan/presets/default.toml sets, so it does not depend on that file.
CPU = ["generations=6000", "batch_size=256", "lr_g=1e-3", "lr_d=1e-3", "schedule.g='cosine'", "schedule.d='cosine'",
       "schedule.final=0.01", "metrics.every=500", "log.checkpoint_every=500"]
#: PacGAN's protocol (runs/<dataset>_pacgan.toml: its networks, Adam, batch 100, 400,000 iterations): a GPU budget.
FULL = ["metrics.every=10000", "log.checkpoint_every=10000"]

GAN = ["population_size=1", "mutations=['heuristic']", "p_cross=0.0"]
EGAN_1 = ["population_size=1", f"mutations={json.dumps(EGAN)}", "p_cross=0.0"]

#: strategy → (label, overrides of the protocol)
STRATEGIES = {
    "gan": ("GAN", GAN),
    "pacgan2": ("PacGAN2", GAN + ["pack=2"]),
    "pacgan4": ("PacGAN4", GAN + ["pack=4"]),
    "egan": ("E-GAN (mu = 1)", EGAN_1),
    "egan_crossover": ("E-GAN + crossover (mu = 2)", ["population_size=2", f"mutations={json.dumps(EGAN)}", "p_cross=0.5"]),
    "egan_pack": ("E-GAN + packing 2", EGAN_1 + ["pack=2"]),
    "egan_entropy": ("E-GAN + entropy", ["population_size=1", f"mutations={json.dumps([m + '+entropy' for m in EGAN])}",
                                         "p_cross=0.0"]),
    "dyngan": ("E-GAN + DynGAN niches", EGAN_1 + ["dyngan.enabled=true"]),
}

#: PacGAN, Table 1 (10 trials), the rows quoted in issue 15: label → {dataset: (modes, % HQ, reverse KL)}
PAPER = {
    "GAN": {"ring": (6.3, 98.2, 0.45), "grid": (17.3, 94.8, 0.70)},
    "PacGAN4": {"ring": (7.8, 95.9, 0.07), "grid": (24.8, 93.6, 0.04)},
}


RESULTS = ROOT / "benchmarks" / "results"
KEPT = ("config.toml", "metrics.json", "metrics.jsonl")


def run_dir(out: Path, dataset: str, strategy: str, seed: int) -> Path:
    return out / dataset / strategy / f"seed{seed}"


def kept_dir(out: Path, dataset: str, strategy: str, seed: int) -> Path:
    """Where a finished run's small files are committed: benchmarks/results/<out's name>/<dataset>/<strategy>/seedN."""
    return run_dir(RESULTS / out.name, dataset, strategy, seed)


def keep(out: Path, dataset: str, strategy: str, seed: int) -> None:
    """Copy a finished run's config and metrics into benchmarks/results (small text files); of an unfinished run, its
    config and newest checkpoint into ``partial/`` there (what ``evogan run --resume`` needs), replacing an older one."""
    source, target = run_dir(out, dataset, strategy, seed), kept_dir(out, dataset, strategy, seed)
    if (source / "metrics.json").exists() and not (target / "metrics.json").exists():
        target.mkdir(parents=True, exist_ok=True)
        for name in KEPT:
            if (source / name).exists():
                shutil.copyfile(source / name, target / name)
        shutil.rmtree(target / "partial", ignore_errors=True)
        return
    checkpoints = sorted((source / "checkpoints").glob("gen*.pt")) if (source / "checkpoints").is_dir() else []
    partial = target / "partial"
    if checkpoints and not (target / "metrics.json").exists() and not (partial / "checkpoints" / checkpoints[-1].name).exists():
        shutil.rmtree(partial, ignore_errors=True)
        (partial / "checkpoints").mkdir(parents=True)
        shutil.copyfile(source / "config.toml", partial / "config.toml")
        shutil.copyfile(checkpoints[-1], partial / "checkpoints" / checkpoints[-1].name)


def restore_partial(out: Path, dataset: str, strategy: str, seed: int) -> None:
    """A fresh clone: put a kept unfinished run back under ``out`` so that it resumes instead of starting over."""
    folder, partial = run_dir(out, dataset, strategy, seed), kept_dir(out, dataset, strategy, seed) / "partial"
    if not folder.exists() and (partial / "config.toml").exists():
        shutil.copytree(partial, folder)


def overrides(dataset: str, strategy: str, seed: int, full: bool, extra: list[str]) -> list[str]:
    protocol = FULL if full else CPU
    return [f"dataset='{dataset}'", f"seed={seed}", *protocol, *STRATEGIES[strategy][1], "log.plots=false", *extra]


def execute(dataset: str, strategy: str, seed: int, args) -> str:
    """One run in its own process (one torch thread); resumed from its checkpoint when a previous one stopped."""
    folder = run_dir(Path(args.out), dataset, strategy, seed)
    if (kept_dir(Path(args.out), dataset, strategy, seed) / "metrics.json").exists():
        return f"{folder}: done before (benchmarks/results)"
    if (folder / "metrics.json").exists():
        keep(Path(args.out), dataset, strategy, seed)
        return f"{folder}: done before"
    restore_partial(Path(args.out), dataset, strategy, seed)
    exe = [sys.executable, "-m", "evogan"]
    if (folder / "checkpoints").is_dir() and any((folder / "checkpoints").glob("gen*.pt")):
        command = exe + ["run", "--resume", str(folder), "--quiet"]
    else:
        config = [str(ROOT / "runs" / f"{dataset}_pacgan.toml")] if args.full else []
        sets = [item for o in overrides(dataset, strategy, seed, args.full, args.overrides) for item in ("--set", o)]
        command = exe + ["run", *config, *sets, "--out", str(folder), "--quiet"]
    env = {**os.environ, "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
    done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True)
    if done.returncode:
        return f"{folder}: FAILED ({done.stderr.strip().splitlines()[-1] if done.stderr.strip() else done.returncode})"
    keep(Path(args.out), dataset, strategy, seed)
    return f"{folder}: finished"


def mean_se(values: list[float], digits: int) -> str:
    if not values:
        return "—"
    mean = statistics.fmean(values)
    se = statistics.stdev(values) / math.sqrt(len(values)) if len(values) > 1 else 0.0
    return f"{mean:.{digits}f} ± {se:.{digits}f}"


def load(folder: Path) -> tuple[dict | None, list[dict]]:
    final = json.loads((folder / "metrics.json").read_text()) if (folder / "metrics.json").exists() else None
    history = []
    if (folder / "metrics.jsonl").exists():
        history = [json.loads(line) for line in (folder / "metrics.jsonl").read_text().splitlines() if line.strip()]
    return final, history


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
            finals, seeds = [], []
            for seed in args.seeds:
                keep(out, dataset, strategy, seed)
                kept = kept_dir(out, dataset, strategy, seed)
                final, history = load(kept if (kept / "metrics.json").exists() else run_dir(out, dataset, strategy, seed))
                if final is not None:
                    finals.append(final)
                    seeds.append(seed)
                    for row in history:
                        trends.setdefault(strategy, {}).setdefault(row["generation"], []).append(row["high_quality"])
            if not finals:
                print(f"| {label} | none finished | | | | | | |")
                continue
            pick = lambda key: [f[key] for f in finals if f.get(key) is not None and not math.isnan(f[key])]  # noqa: E731
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


if __name__ == "__main__":
    main()
