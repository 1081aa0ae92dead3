"""The memory estimate against the measured peak: populations, in-process islands, one and three mutations.

Each configuration runs in its own process (one torch thread): peak RSS growth from after the imports (freed heap
handed back with ``malloc_trim``) through building the experiment, two generations and one evaluation, beside
``evogan.memory.estimate_bytes``. The peak is RSS sampled every 2 ms, or ``ru_maxrss`` where the run passed the
imports' high-water mark (the high-water mark alone reads 0 where the imports peaked higher than the run).
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
import ctypes, json, os, resource, sys, threading, time
import torch
torch.set_num_threads(1)
from evogan.config import load_config
from evogan.experiment import Experiment
from evogan.memory import estimate_bytes

def rss():
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")

def sample(highest, done):
    while not done.is_set():
        highest[0] = max(highest[0], rss())
        time.sleep(0.002)

config = load_config(None, sys.argv[1:])
try:  # hand freed heap back first, or a run that reuses what the imports freed would show no growth at all
    ctypes.CDLL("libc.so.6").malloc_trim(0)
except (OSError, AttributeError):
    pass
baseline, maxrss_before = rss(), resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
highest, done = [baseline], threading.Event()
sampler = threading.Thread(target=sample, args=(highest, done), daemon=True)
sampler.start()
experiment = Experiment(config)
experiment.run(2)
experiment.evaluate_metrics()
done.set()
sampler.join()
maxrss_after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
if maxrss_after > maxrss_before:  # the high-water mark was passed during the run: it is the exact peak
    highest[0] = max(highest[0], maxrss_after * 1024)
print(json.dumps({"peak": highest[0] - baseline, "estimate": estimate_bytes(config, experiment.data)["total"]}))
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
