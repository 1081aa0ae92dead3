"""Cost of an E-GAN generation against one single-loss GAN iteration, as μ grows, in process vs vectorised.

One process, alternating blocks of generations (these machines are noisy):
the baseline is one GAN iteration (μ = 1, the heuristic loss, in process);
each row is an E-GAN generation (3 mutations) with μ parents on the
``inprocess`` backend (children one after another) and on the ``vectorized``
backend (one stacked population). Ring data with the mixture MLPs
(``--hidden``), or bundled MNIST with the 28 px DCGAN (``--dataset mnist``,
``--width``, latent 100, evaluation batch 64). ``--threads``: torch threads
for every configuration alike (default 1; 0: all cores). On a GPU machine it
runs on CUDA by itself and synchronises around every timed block.

    python benchmarks/population_scaling.py [--mus 1 2 4 8] [--blocks 5] [--generations 20] [--hidden 128]
        [--dataset ring|mnist] [--width 64] [--threads 1]
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

import torch

from evogan import Config, Experiment


def experiment(mu: int, mutations: list[str], backend: str, args) -> Experiment:
    model = dict(dataset="mnist", latent_dim=100, eval_batch_size=64, model={"width": args.width}) \
        if args.dataset == "mnist" else dict(dataset=args.dataset, model={"hidden": args.hidden})
    ex = Experiment(Config(population_size=mu, mutations=mutations, p_cross=0.5 if mu > 1 else 0.0,
                           log={"progress": False}, parallel={"backend": backend}, **model))
    ex.run(2)  # warm up
    return ex


def seconds_per_generation(ex: Experiment, generations: int) -> float:
    if ex.device.type == "cuda":
        torch.cuda.synchronize()  # time the GPU's work, not only its queueing
    started = time.perf_counter()
    ex.run(ex.generation + generations)
    if ex.device.type == "cuda":
        torch.cuda.synchronize()
    return (time.perf_counter() - started) / generations


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mus", type=int, nargs="+", default=[1, 2, 4, 8])
    parser.add_argument("--blocks", type=int, default=5)
    parser.add_argument("--generations", type=int, default=20)
    parser.add_argument("--hidden", type=int, default=128, help="ring: width of the mixture MLPs")
    parser.add_argument("--dataset", default="ring", choices=("ring", "grid", "mnist"))
    parser.add_argument("--width", type=int, default=64, help="mnist: DCGAN width")
    parser.add_argument("--threads", type=int, default=1, help="torch threads (0: all cores)")
    args = parser.parse_args()
    torch.set_num_threads(args.threads or os.cpu_count())
    runs = {"gan": experiment(1, ["heuristic"], "inprocess", args)}
    for mu in args.mus:
        for backend in ("inprocess", "vectorized"):
            runs[(mu, backend)] = experiment(mu, ["minimax", "heuristic", "least_squares"], backend, args)
    times = {key: [] for key in runs}
    for _ in range(args.blocks):  # alternate, so drifts of the machine hit every configuration alike
        for key, ex in runs.items():
            times[key].append(seconds_per_generation(ex, args.generations))
    gan = statistics.median(times["gan"])
    model = f"DCGAN width {args.width}" if args.dataset == "mnist" else f"MLP hidden {args.hidden}"
    device = runs["gan"].device
    where = torch.cuda.get_device_name(device) if device.type == "cuda" else f"{torch.get_num_threads()} torch thread(s)"
    print(f"{where}, {args.dataset}, {model}; single-loss GAN iteration: {gan * 1000:.2f} ms (median of {args.blocks})")
    print("| μ | children | in-process ms/gen | vectorised ms/gen | in-process / GAN | vectorised / GAN | speed-up |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    for mu in args.mus:
        seq, vec = statistics.median(times[(mu, "inprocess")]), statistics.median(times[(mu, "vectorized")])
        print(f"| {mu} | {3 * mu} | {seq * 1000:.2f} | {vec * 1000:.2f} | {seq / gan:.2f}x | {vec / gan:.2f}x | {seq / vec:.2f}x |")
    for ex in runs.values():
        ex.close()


if __name__ == "__main__":
    main()
