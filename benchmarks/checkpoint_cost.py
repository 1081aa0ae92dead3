"""Checkpoint cost: seconds per checkpoint and its share of a generation, μ = 4 on the 28 px DCGAN (MNIST).

Measured side by side in one process: the mean time of a generation and the
mean time of one checkpoint (gathering the state + an atomic, fsynced write),
over ``--repeats``; prints the ratio and the file size.

    python benchmarks/checkpoint_cost.py [--repeats 5] [--width 64]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import torch

from evogan import Config, Experiment
from evogan.io.checkpoint import experiment_state, save_checkpoint


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--width", type=int, default=64)
    args = parser.parse_args()
    config = Config(dataset="mnist", population_size=4, latent_dim=100, beta2=0.999, eval_batch_size=64,
                    model={"width": args.width}, log={"progress": False})
    ex = Experiment(config)
    ex.run(1)  # warm up
    generation, saving, size = [], [], 0
    with tempfile.TemporaryDirectory() as folder:
        for i in range(args.repeats):
            started = time.perf_counter()
            ex.run(ex.generation + 1)
            generation.append(time.perf_counter() - started)
            started = time.perf_counter()
            path = save_checkpoint(Path(folder), ex.generation, {"experiment": experiment_state(ex)})
            saving.append(time.perf_counter() - started)
            size = path.stat().st_size
    gen, save = statistics.median(generation), statistics.median(saving)
    print(f"torch threads {torch.get_num_threads()}, mu = 4, DCGAN width {args.width}, {args.repeats} repeats (medians)")
    print("| s/generation | s/checkpoint | checkpoint / generation | checkpoint size MB |")
    print("| --- | --- | --- | --- |")
    print(f"| {gen:.3f} | {save:.3f} | {save / gen:.1%} | {size / 2**20:.1f} |")
    print(f"every 100 generations (the default) it costs {save / (100 * gen):.2%} of the run")
    ex.close()


if __name__ == "__main__":
    main()
