"""Stacked MNIST on CPU under a fixed wall-clock budget: single-loss DCGAN vs E-GAN vs E-GAN + crossover.

Each strategy (the runs/stacked_mnist_*.toml files) trains for ``--minutes``
of wall time (``max_seconds``; the metrics are computed once at the start and
once at the stop, outside the budget), then reports modes covered out of
1,000 and KL(generated || uniform) over 26,000 samples, and FID on the
digit classifier's features. Runs go to benchmarks/out/ (git-ignored).

Literature reference points (PacGAN, Table 3; GPUs, full training):
DCGAN 99 modes / KL 3.40, VEEGAN 150 / 2.95, PacDCGAN2 1000 / 0.06.

    python benchmarks/stacked_mnist.py [--minutes 20] [--seed 0] [--set model.width=32]
"""

from __future__ import annotations

import argparse
import json
import shutil
from pathlib import Path

from evogan.config import load_config
from evogan.runner import run

ROOT = Path(__file__).resolve().parents[1]
STRATEGIES = ("gan", "egan", "egan_crossover")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=20.0)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--strategies", nargs="+", default=list(STRATEGIES), choices=STRATEGIES)
    parser.add_argument("--set", dest="overrides", action="append", default=[])
    parser.add_argument("--out", default=str(ROOT / "benchmarks" / "out" / "stacked_mnist"))
    args = parser.parse_args()
    budget = [f"max_seconds={args.minutes * 60}", "generations=1000000", "metrics.every=1000000000",
              f"seed={args.seed}", "log.progress=false"]
    print(f"Stacked MNIST, {args.minutes:g} min of CPU wall time per run, seed {args.seed}, overrides {args.overrides}")
    print("| strategy | generations | modes (of 1000) | KL | FID | IS | samples |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    for strategy in args.strategies:
        config = load_config(ROOT / "runs" / f"stacked_mnist_{strategy}.toml", budget + args.overrides)
        out = Path(args.out) / f"{strategy}_seed{args.seed}"
        if out.exists():
            shutil.rmtree(out)
        run(config, out)
        m = json.loads((out / "metrics.json").read_text())
        print(f"| {strategy} | {m['generation']} | {m['modes']} | {m['kl']:.2f} | {m['fid']:.1f} | "
              f"{m['inception_score']:.1f} | {m['n_samples']} |", flush=True)
    print("| PacGAN table: DCGAN | | 99 | 3.40 | | | |\n| PacGAN table: VEEGAN | | 150 | 2.95 | | | |\n"
          "| PacGAN table: PacDCGAN2 | | 1000 | 0.06 | | | |")


if __name__ == "__main__":
    main()
