"""The memory estimate against the measured peak: populations, in-process islands, one and three mutations.

Each configuration runs in its own process (one torch thread): peak RSS growth (``ru_maxrss``) from after the imports
to the end of building the experiment, two generations and one evaluation, beside ``evogan.memory.estimate_bytes``.
Prints measured / estimated; the estimate is meant to stay within 1.5x either way.

    python benchmarks/memory_estimate.py [--sizes small|all]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys

EGAN = "mutations=['minimax','heuristic','least_squares']"
SIZES = {
    "small": [["population_size=16"], ["population_size=2", "islands.count=16"], [EGAN, "population_size=16"]],
    "all": [["population_size=16"], ["population_size=64"], [EGAN, "population_size=16"], [EGAN, "population_size=64"],
            ["population_size=2", "islands.count=2"], ["population_size=2", "islands.count=16"],
            ["population_size=2", "islands.count=64"], [EGAN, "population_size=2", "islands.count=64"],
            ["population_size=2", "islands.count=256", "model.hidden=32"]],
}
_MEASURE = """
import json, resource, sys
import torch
torch.set_num_threads(1)
from evogan.config import load_config
from evogan.experiment import Experiment
from evogan.memory import estimate_bytes
config = load_config(None, sys.argv[1:])
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
experiment = Experiment(config)
experiment.run(2)
experiment.evaluate_metrics()
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 - before
print(json.dumps({"peak": peak, "estimate": estimate_bytes(config, experiment.data)["total"]}))
"""


def measure(overrides: list[str]) -> dict:
    """Peak RSS growth and the estimate of one configuration (2 generations), in a fresh process."""
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    done = subprocess.run([sys.executable, "-c", _MEASURE, "generations=2", "log.plots=false", *overrides],
                          capture_output=True, text=True, env=env, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", choices=list(SIZES), default="all")
    args = parser.parse_args()
    print("| configuration | measured peak (MB) | estimate (MB) | measured / estimate |\n| --- | --- | --- | --- |")
    for overrides in SIZES[args.sizes]:
        result = measure(overrides)
        print(f"| {' '.join(overrides)} | {result['peak'] / 2**20:.1f} | {result['estimate'] / 2**20:.1f} | "
              f"{result['peak'] / result['estimate']:.2f} |", flush=True)


if __name__ == "__main__":
    main()
