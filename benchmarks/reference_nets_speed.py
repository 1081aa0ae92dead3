"""Milliseconds per generation on PacGAN's 2-D networks (the ring_pacgan preset), and what 400,000 would take.

E-GAN (3 loss mutations) with mu = 1 and mu = 4 and the single-loss GAN, in
process and vectorised, on 1 and 2 torch threads; blocks of generations
alternate between the settings in one process, so that a machine's load
changes hit all of them alike; the median block is reported. On a GPU machine
(device "auto") the same command measures CUDA.

    python benchmarks/reference_nets_speed.py [--blocks 5] [--block 10] [--threads 1 2] [--mus 1 4]
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

import torch

from evogan import Experiment
from evogan.config import PRESETS, load_config

ROOT = Path(__file__).resolve().parents[1]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--blocks", type=int, default=5)
    parser.add_argument("--block", type=int, default=10, help="generations per timed block")
    parser.add_argument("--threads", nargs="+", type=int, default=[1, 2])
    parser.add_argument("--mus", nargs="+", type=int, default=[1, 4])
    args = parser.parse_args()
    settings = [("GAN", 1, "inprocess", ["mutations=['heuristic']"])]
    for mu in args.mus:
        for backend in ("inprocess", "vectorized"):
            settings.append((f"E-GAN mu={mu}", mu, backend, [f"population_size={mu}", "p_cross=0.0"]))
    experiments = []
    for label, mu, backend, sets in settings:
        config = load_config(PRESETS / "ring_pacgan_egan.toml",
                             [*sets, f"parallel.backend='{backend}'", "log.progress=false"])
        ex = Experiment(config)
        ex.run(2)  # warm-up: first calls allocate
        experiments.append((label, backend, ex))
    times = {(label, backend, t): [] for label, backend, _ in experiments for t in args.threads}
    for _ in range(args.blocks):
        for threads in args.threads:
            torch.set_num_threads(threads)
            for label, backend, ex in experiments:
                if ex.device.type == "cuda":
                    torch.cuda.synchronize()
                start = time.perf_counter()
                ex.run(ex.generation + args.block)
                if ex.device.type == "cuda":
                    torch.cuda.synchronize()
                times[(label, backend, threads)].append((time.perf_counter() - start) / args.block)
    device = experiments[0][2].device
    print(f"PacGAN 2-D nets (G 4 x 400 BatchNorm, D 3 x maxout 200 x 5), batch 100, 1 D step; device {device}; "
          f"{args.blocks} alternating blocks of {args.block} generations, median")
    base = statistics.median(next(iter(times.values())))  # the GAN, in process, first thread count
    print("| strategy | backend | threads | ms / generation | ratio to the GAN (in process, first thread count) "
          "| 400,000 generations (h) |")
    print("| --- | --- | --- | --- | --- | --- |")
    for (label, backend, threads), values in times.items():
        ms = 1000 * statistics.median(values)
        print(f"| {label} | {backend} | {threads} | {ms:.1f} | {ms / 1000 / base:.2f} | {ms * 400_000 / 3.6e6:.1f} |")
    for _, _, ex in experiments:
        ex.close()


if __name__ == "__main__":
    main()
