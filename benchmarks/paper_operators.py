"""Which operator helps: E-GAN alone vs each issue-5 operator added vs all combined, at a fixed CPU budget.

On the grid (``--seeds`` seeds; modes covered, % high quality, reverse KL on
2,500 samples) and on the bundled MNIST (one seed; FID on the digit
classifier's features, entropy score, modes). Every run gets the same wall
time (``--grid-seconds`` / ``--mnist-seconds``, one torch thread); the
metrics are computed once, after the budget. ``s/gen vs E-GAN`` is the cost
of one generation relative to E-GAN's in the same table (the price of the
operator). The runs go to benchmarks/out/paper_operators/ (git-ignored); finished
runs are reused.

    python benchmarks/paper_operators.py [--seeds 3] [--grid-seconds 45] [--mnist-seconds 150] [--only grid|mnist]
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
from pathlib import Path

import torch

from evogan.config import PRESETS, load_config
from evogan.runner import run

ROOT = Path(__file__).resolve().parents[1]
EGAN = ["minimax", "heuristic", "least_squares"]


def with_modifier(modifier: str) -> str:
    return "mutations=" + json.dumps([f"{m}+{modifier}" for m in EGAN])


ACTIVATIONS = ["model.g_activation='esa'", "model.d_activation='ealrelu'"]
BEGAN = ["adversary='began_v3'", "mutations=['began']", "latent_distribution='uniform'"]
#: strategy name → overrides of the dataset's E-GAN run file
GRID = {
    "E-GAN": [],
    "+ crossover": ["p_cross=0.5"],
    "+ entropy (EM-GAN)": [with_modifier("entropy")],
    "+ ESA / EALReLU": ACTIVATIONS,
    "+ mean rescaling": ["latent_mean_rescaling=true"],
    "+ CFT (FD 1)": ["latent_common_features=1"],
    "BEGAN v3 family": BEGAN,
    "+ DynGAN niches": ["dyngan.enabled=true"],
    "all combined (no BEGAN)": ["p_cross=0.5", with_modifier("entropy"), *ACTIVATIONS, "latent_mean_rescaling=true",
                                "latent_common_features=1", "dyngan.enabled=true"],
}
MNIST = {
    "E-GAN": [],
    "+ crossover": ["p_cross=0.5"],
    "+ entropy (EM-GAN)": [with_modifier("entropy")],
    "+ ESA / EALReLU": ACTIVATIONS,
    "+ edge loss": [with_modifier("edge")],
    "+ MR + CFT": ["latent_mean_rescaling=true", "latent_common_features=1"],
    "BEGAN v3 family": [*BEGAN, "latent_dim=64"],
    "+ DynGAN niches": ["dyngan.enabled=true", "dyngan.pool=1000"],
    "all combined (no BEGAN)": ["p_cross=0.5", "mutations=" + json.dumps([f"{m}+entropy+edge" for m in EGAN]),
                                *ACTIVATIONS, "latent_mean_rescaling=true", "latent_common_features=1",
                                "dyngan.enabled=true", "dyngan.pool=1000"],
}
SETTINGS = {
    # lr 1e-3 so that DynGAN's detector fires within the budget; the same for every strategy
    "grid": ("grid_egan.toml", GRID, ["lr_g=1e-3", "lr_d=1e-3", "metrics.samples=2500"]),
    "mnist": ("mnist_egan.toml", MNIST, ["model.width=32", "metrics.samples=2000"]),
}


def fmt(values, digits=1):
    mean = statistics.fmean(values)
    std = statistics.pstdev(values) if len(values) > 1 else 0.0
    return f"{mean:.{digits}f} ± {std:.{digits}f}" if len(values) > 1 else f"{mean:.{digits}f}"


def run_all(dataset: str, seeds: int, seconds: float, out: Path) -> dict:
    file, strategies, common = SETTINGS[dataset]
    results = {}
    for name, overrides in strategies.items():
        results[name] = []
        for seed in range(seeds):
            config = load_config(PRESETS / file, [
                f"seed={seed}", f"max_seconds={seconds}", "generations=1000000", "metrics.every=1000000",
                "log.progress=false", "log.plots=false", *common, *overrides,
            ])
            slug = "".join(c if c.isalnum() else "_" for c in name).strip("_")
            directory = out / dataset / f"{slug}_seed{seed}"
            if not (directory / "metrics.json").exists():
                if directory.exists():  # an unfinished run: start again
                    shutil.rmtree(directory)
                run(config, directory)
            results[name].append(json.loads((directory / "metrics.json").read_text()))
            print(f"  {dataset} {name} seed {seed}: generation {results[name][-1]['generation']}", flush=True)
    return results


def report(dataset: str, results: dict) -> None:
    base_cost = statistics.fmean(r["wall_time"] / r["generation"] for r in results["E-GAN"])
    if dataset == "grid":
        print("| strategy (grid) | modes covered /25 | % high quality | reverse KL | generations | s/gen vs E-GAN |")
    else:
        print("| strategy (MNIST) | FID (classifier) | entropy score | modes /10 | generations | s/gen vs E-GAN |")
    print("| --- | --- | --- | --- | --- | --- |")
    for name, runs in results.items():
        cost = statistics.fmean(r["wall_time"] / r["generation"] for r in runs) / base_cost
        gens = fmt([r["generation"] for r in runs], 0)
        if dataset == "grid":
            cells = [fmt([r["modes_covered"] for r in runs]), fmt([r["high_quality"] for r in runs]),
                     fmt([r["reverse_kl"] for r in runs], 3)]
        else:
            cells = [fmt([r["fid"] for r in runs]), fmt([r["entropy_score"] for r in runs], 3),
                     fmt([r["modes"] for r in runs], 0)]
        print(f"| {name} | {' | '.join(cells)} | {gens} | {cost:.2f}x |", flush=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=3, help="grid seeds (MNIST: one)")
    parser.add_argument("--grid-seconds", type=float, default=45.0)
    parser.add_argument("--mnist-seconds", type=float, default=150.0)
    parser.add_argument("--only", choices=("grid", "mnist"))
    parser.add_argument("--out", default=str(ROOT / "benchmarks" / "out" / "paper_operators"))
    args = parser.parse_args()
    torch.set_num_threads(1)
    plan = {"grid": (args.seeds, args.grid_seconds), "mnist": (1, args.mnist_seconds)}
    tables = {}
    for dataset, (seeds, seconds) in plan.items():
        if args.only in (None, dataset):
            tables[dataset] = run_all(dataset, seeds, seconds, Path(args.out))
    for dataset, results in tables.items():
        print()
        report(dataset, results)


if __name__ == "__main__":
    main()
