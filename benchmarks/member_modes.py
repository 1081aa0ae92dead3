"""Which digit modes each generator of a finished MNIST or Stacked-MNIST population run covers, and what their union
adds: does a mixture cover more because its generators cover different modes?

The samples are the run's last metric samples, redrawn from its newest checkpoint exactly as its metrics drew them
(``RunResult.sample``: the same latents, one consecutive block per member, ``member_shares``), and labelled by the
digit classifier as the metrics label them, so the union is the run's ``modes_covered``.

    python benchmarks/member_modes.py RUN_DIR [RUN_DIR ...]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

from evogan.config import ConfigError
from evogan.core.sampling import member_shares
from evogan.io.results import load_run
from evogan.metrics.evaluators import digit_features_and_probabilities
from evogan.models.classifier import load_classifier

DIGIT_DATASETS = ("mnist", "stacked_mnist")


def member_modes(run_dir: str | Path) -> dict:
    """{"members": modes of each member, "shared": modes every member covers, "union": modes of the mixture}."""
    run = load_run(run_dir)
    config = run.config
    if config.dataset not in DIGIT_DATASETS:
        raise ConfigError(f"{run_dir}: dataset {config.dataset!r} has no digit labels; allowed: {list(DIGIT_DATASETS)}")
    if config.islands.count > 1 or config.metrics.sample_from != "population":
        raise ConfigError(f"{run_dir}: its metric samples are not one block per member (islands, or "
                          f"metrics.sample_from = {config.metrics.sample_from!r}); give a run without islands that "
                          "samples its population")
    samples = run.sample()  # the metrics' own count (Stacked MNIST: metrics.mode_samples)
    _, probabilities = digit_features_and_probabilities(load_classifier(config.metrics.classifier or None), samples)
    shares = member_shares(len(samples), config.population_size)
    labels = np.split(probabilities.argmax(axis=1), np.cumsum(shares)[:-1])
    covered = [set(np.unique(part).tolist()) for part in labels]
    return {"members": [len(c) for c in covered], "shared": len(set.intersection(*covered)),
            "union": len(set.union(*covered))}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("runs", nargs="+", help="run folders (each with config.toml and checkpoints/)")
    args = parser.parse_args(argv)
    for run_dir in args.runs:
        try:
            found = member_modes(run_dir)
        except ConfigError as err:
            print(f"error: {err}", file=sys.stderr)
            return 2
        print(f"{run_dir}: each member {found['members']}, covered by all {found['shared']}, "
              f"union {found['union']}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
