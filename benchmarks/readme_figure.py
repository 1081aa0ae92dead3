"""The README's picture: the final samples of two runs side by side, each titled with its strategy and metrics.

    python benchmarks/readme_figure.py LEFT_RUN RIGHT_RUN --labels "single GAN" "E-GAN + packing 2" \
        --out docs/img/grid_contrast.png

Each run directory needs ``samples.npz`` and ``metrics.json`` (every evogan run on 2-D data writes both).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np

from evogan.io import plots
from evogan.data import DATASETS
from evogan.config import load_config


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("runs", nargs=2, type=Path)
    parser.add_argument("--labels", nargs=2, required=True)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    fig, axes = plots.plt.subplots(1, 2, figsize=(8, 4.2))
    for ax, run, label in zip(axes, args.runs, args.labels):
        config = load_config(run / "config.toml")
        centres = DATASETS.get(config.dataset)(config, "cpu").centres.numpy()
        snapshots = np.load(run / "samples.npz")
        last = max(snapshots.files, key=lambda name: int(name.removeprefix("gen")))
        m = json.loads((run / "metrics.json").read_text())
        plots.scatter_samples(ax, snapshots[last], centres,
                              f"{label}, {int(last.removeprefix('gen')):,} generations\n{m['modes_covered']}/"
                              f"{m['n_modes']} modes, {m['high_quality']:.1f} % high quality, "
                              f"KL {m['reverse_kl']:.3f}")
    fig.tight_layout()
    args.out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(args.out, dpi=100)


if __name__ == "__main__":
    main()
