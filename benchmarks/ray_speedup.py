"""Ray backend: speed-up of Ray workers over the in-process backend, and Ray's overhead per generation.

For each model the same seeded experiment is built three times and the
three are advanced alternately, a block of generations at a time, in one
process (they follow the same trajectory, so every block does about the same
work on each): in process with one torch thread, in process with one torch
thread per core (PyTorch's own intra-op parallelism), and on Ray workers with
``cpus_per_worker`` threads each (the main process keeps one thread per core
for the discriminator). Printed: ms per generation (median over blocks) and
the speed-ups of Ray over both in-process runs.

- compute-bound: mu = 4, 3 mutations, wide MLPs on the ring or the 28 px DCGAN
  on MNIST (target >= 1.5x with 2 workers on a 2-core machine);
- tiny: the ring with 16-unit MLPs, where there is nothing to parallelise and
  the last column is Ray's cost per generation (ms, Ray minus in process).

    python benchmarks/ray_speedup.py [--workers 2] [--blocks 6] [--models mlp512 dcgan28 tiny]
    python benchmarks/ray_speedup.py --gpus-per-worker 0.25 --workers 4   # one GPU shared by 4 workers
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

import ray
import torch

from evogan import Config, Experiment

MODELS = {
    "mlp512": dict(dataset="ring", model={"hidden": 512, "g_layers": 3, "d_layers": 3}, batch_size=256),
    "dcgan28": dict(dataset="mnist", latent_dim=100, beta2=0.999, model={"width": 64}, batch_size=64,
                    eval_batch_size=64),
    "tiny": dict(dataset="ring", model={"hidden": 16, "g_layers": 2, "d_layers": 2}),
}
BLOCK = {"mlp512": 5, "dcgan28": 3, "tiny": 25}


def build(name: str, backend: str, args) -> Experiment:
    parallel = dict(backend=backend, workers=args.workers, cpus_per_worker=args.cpus_per_worker,
                    gpus_per_worker=args.gpus_per_worker)
    config = Config(population_size=4, generations=10**6, log={"progress": False}, device=args.device,
                    parallel=parallel, **MODELS[name])
    return Experiment(config)


def synchronise():
    if torch.cuda.is_available():
        torch.cuda.synchronize()


def measure(name: str, args) -> dict:
    cores = os.cpu_count()
    variants = {"inprocess-1": ("inprocess", 1), f"inprocess-{cores}": ("inprocess", cores), "ray": ("ray", cores)}
    runs = {key: build(name, backend, args) for key, (backend, _) in variants.items()}
    block = BLOCK[name]
    try:
        for key, ex in runs.items():  # warm-up (and the workers' start), not timed
            torch.set_num_threads(variants[key][1])
            ex.run(block)
        times = {key: [] for key in runs}
        for _ in range(args.blocks):
            for key, ex in runs.items():
                torch.set_num_threads(variants[key][1])
                synchronise()
                started = time.perf_counter()
                ex.run(ex.generation + block)
                synchronise()
                times[key].append((time.perf_counter() - started) / block)
    finally:
        for ex in runs.values():
            ex.close()
    ms = {key: 1000 * statistics.median(t) for key, t in times.items()}
    one, many = ms["inprocess-1"], ms[f"inprocess-{cores}"]
    return {"model": name, "one": one, "many": many, "ray": ms["ray"], "vs_one": one / ms["ray"],
            "vs_many": many / ms["ray"], "extra": ms["ray"] - one}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--cpus-per-worker", type=float, default=1.0)
    parser.add_argument("--gpus-per-worker", type=float, default=0.0)
    parser.add_argument("--device", default="auto", help="the main process's device")
    parser.add_argument("--blocks", type=int, default=6, help="alternating timed blocks per backend")
    parser.add_argument("--models", nargs="+", default=list(MODELS), choices=list(MODELS))
    args = parser.parse_args()
    ray.init(include_dashboard=False, logging_level="ERROR", object_store_memory=512 * 1024 * 1024)
    try:
        rows = [measure(name, args) for name in args.models]
    finally:
        ray.shutdown()
    gpu = torch.cuda.get_device_name(0) if torch.cuda.is_available() else "no GPU"
    cores = os.cpu_count()
    print(f"{cores} CPUs, {gpu}; Ray: {args.workers} workers x ({args.cpus_per_worker:g} CPU, "
          f"{args.gpus_per_worker:g} GPU); mu = 4, 3 mutations (12 children / generation); "
          f"medians of {args.blocks} alternating blocks")
    print(f"| model | in-process, 1 thread (ms/gen) | in-process, {cores} threads | Ray | "
          f"Ray speed-up vs 1 thread | vs {cores} threads | Ray - in-process 1 thread (ms/gen) |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    for r in rows:
        print(f"| {r['model']} | {r['one']:.1f} | {r['many']:.1f} | {r['ray']:.1f} | {r['vs_one']:.2f}x | "
              f"{r['vs_many']:.2f}x | {r['extra']:+.1f} |")


if __name__ == "__main__":
    main()
