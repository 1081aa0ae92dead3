"""Crossover cost: time per generation with p_cross = 0.5 divided by p_cross = 0.

Both experiments are built once and advanced alternately, a block of
generations at a time, in one process, so machine noise hits both equally.
The ratio of medians over the blocks is printed (target <= 1.03).

    python benchmarks/crossover_cost.py [--blocks 20] [--block 25]
"""

from __future__ import annotations

import argparse
import statistics
import time

import torch

from evogan import Config, Experiment


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--blocks", type=int, default=20)
    parser.add_argument("--block", type=int, default=25, help="generations per timed block")
    parser.add_argument("--population", type=int, default=4)
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    total = args.blocks * args.block + args.block
    runs = {p: Experiment(Config(p_cross=p, population_size=args.population, generations=total,
                                 log={"progress": False}))
            for p in (0.0, 0.5)}
    for exp in runs.values():  # warm-up block, not timed
        exp.run(args.block)
    times = {p: [] for p in runs}
    for _ in range(args.blocks):
        for p, exp in runs.items():
            started = time.perf_counter()
            exp.run(exp.generation + args.block)
            times[p].append((time.perf_counter() - started) / args.block)
    crossed = sum(row["survivors"].count("+crossover") for row in runs[0.5].logbook)
    med = {p: statistics.median(t) for p, t in times.items()}
    print(f"mu = {args.population}, 3 mutations, {args.blocks} alternating blocks of {args.block} generations, "
          f"{args.threads} torch thread(s)")
    print(f"p_cross = 0   : {1000 * med[0.0]:.2f} ms / generation")
    print(f"p_cross = 0.5 : {1000 * med[0.5]:.2f} ms / generation ({crossed} crossover survivors)")
    print(f"ratio (target <= 1.03): {med[0.5] / med[0.0]:.3f}")


if __name__ == "__main__":
    main()
