"""Single-loss GAN vs E-GAN vs E-GAN + crossover on the ring and the grid, several seeds.

Runs the ring/grid presets (runs/) (``--set`` overrides apply to all) and
prints, per dataset and strategy, mean and std over seeds of: modes covered,
% high-quality samples, reverse KL (2,500 samples), and the wall time at which
all modes were first covered (evaluated every ``metrics.every`` generations).
The runs go to benchmarks/out/ (git-ignored).

    python benchmarks/mixtures.py [--seeds 3] [--datasets ring grid] [--set generations=3000]
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
STRATEGIES = ("gan", "egan", "egan_crossover")


def fmt(values, digits=1):
    values = [v for v in values if v is not None]
    if not values:
        return "never"
    mean = statistics.fmean(values)
    std = statistics.pstdev(values) if len(values) > 1 else 0.0
    return f"{mean:.{digits}f} ± {std:.{digits}f}"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--datasets", nargs="+", default=["ring", "grid"])
    parser.add_argument("--set", dest="overrides", action="append", default=[])
    parser.add_argument("--out", default=str(ROOT / "benchmarks" / "out" / "mixtures"))
    args = parser.parse_args()
    torch.set_num_threads(1)
    print("| dataset | strategy | modes covered | % high quality | reverse KL | s to all modes (runs that got there) | wall s |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    for dataset in args.datasets:
        for strategy in STRATEGIES:
            results = []
            for seed in range(args.seeds):
                config = load_config(PRESETS / f"{dataset}_{strategy}.toml",
                                     [f"seed={seed}", "log.progress=false", "log.plots=false", *args.overrides])
                out = Path(args.out) / f"{dataset}_{strategy}_seed{seed}"
                if not (out / "metrics.json").exists():
                    if out.exists():  # an unfinished run: start it again
                        shutil.rmtree(out)
                    run(config, out)
                results.append(json.loads((out / "metrics.json").read_text()))
            reached = [r["first_all_modes_wall_time"] for r in results]
            print(f"| {dataset} | {strategy} | {fmt([r['modes_covered'] for r in results])} / {results[0]['n_modes']} "
                  f"| {fmt([r['high_quality'] for r in results])} | {fmt([r['reverse_kl'] for r in results], 3)} "
                  f"| {fmt(reached, 0)} ({sum(t is not None for t in reached)}/{len(results)}) "
                  f"| {fmt([r['wall_time'] for r in results], 0)} |", flush=True)


if __name__ == "__main__":
    main()
