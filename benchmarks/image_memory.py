"""Peak memory (RSS) and seconds per generation of the 28 px DCGAN for mu = 1 and mu = 4.

Each configuration runs in its own process (so peak RSS is its own), on MNIST
(bundled sample) with the three E-GAN mutations, and prints the ratios of
mu = 4 over mu = 1 measured side by side in this run.

    python benchmarks/image_memory.py [--generations 20] [--width 64]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys

CHILD = r"""
import json, resource, sys, time
import torch
from evogan import Config, Experiment
mu, generations, width = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
ex = Experiment(Config(dataset="mnist", latent_dim=100, population_size=mu, model={"width": width},
                       eval_batch_size=64, log={"progress": False}))
ex.run(2)  # warm-up
started = time.perf_counter()
ex.run(2 + generations)
seconds = (time.perf_counter() - started) / generations
print(json.dumps({"seconds_per_generation": seconds, "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                  "threads": torch.get_num_threads()}))
"""


def measure(mu: int, generations: int, width: int) -> dict:
    done = subprocess.run([sys.executable, "-c", CHILD, str(mu), str(generations), str(width)],
                          capture_output=True, text=True, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--generations", type=int, default=20)
    parser.add_argument("--width", type=int, default=64)
    args = parser.parse_args()
    one, four = measure(1, args.generations, args.width), measure(4, args.generations, args.width)
    print(f"28 px DCGAN (width {args.width}), 3 mutations, batch 64, eval batch 64, {args.generations} generations, "
          f"{one['threads']} torch threads")
    print("| mu | s / generation | peak RSS (MB) |\n| --- | --- | --- |")
    for mu, r in ((1, one), (4, four)):
        print(f"| {mu} | {r['seconds_per_generation']:.3f} | {r['peak_rss_mb']:.0f} |")
    print(f"ratio mu=4 / mu=1: time {four['seconds_per_generation'] / one['seconds_per_generation']:.2f} "
          f"(4.0 = linear in the number of children), peak RSS {four['peak_rss_mb'] / one['peak_rss_mb']:.2f}")


if __name__ == "__main__":
    main()
