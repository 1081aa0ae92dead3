"""A comparison of 3 strategies × 5 seeds on the ring: total wall time, one run after another vs Ray tasks.

Both comparisons run the same 15 runs (presets ``ring_gan``, ``ring_egan``,
``ring_egan_crossover``) into fresh folders; the Ray one uses a private local
Ray with one CPU per task (all CPUs of this machine). Prints both totals and
the speed-up, and checks that both give the same metrics.

    python benchmarks/compare_speed.py [--generations 300] [--seeds 5]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import torch

from evogan.compare import compare
from evogan.config import PRESETS

ROOT = Path(__file__).resolve().parents[1]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--generations", type=int, default=300)
    parser.add_argument("--seeds", type=int, default=5)
    args = parser.parse_args()
    torch.set_num_threads(1)
    configs = [PRESETS / f"ring_{name}.toml" for name in ("gan", "egan", "egan_crossover")]
    overrides = [f"generations={args.generations}", f"metrics.every={args.generations}", "log.plots=false"]
    seconds, tables = {}, {}
    with tempfile.TemporaryDirectory() as folder:
        for backend in ("sequential", "ray"):
            started = time.perf_counter()
            result = compare(configs, seeds=args.seeds, overrides=overrides, out=Path(folder) / backend, backend=backend)
            seconds[backend] = time.perf_counter() - started
            tables[backend] = [(r["strategy"], r["metric"], r["mean"]) for r in result.table if r["metric"] != "wall_time"]
    print(f"3 strategies x {args.seeds} seeds, {args.generations} generations each, ring")
    print("| backend | total wall s | speed-up |")
    print("| --- | --- | --- |")
    for backend, total in seconds.items():
        print(f"| {backend} | {total:.1f} | {seconds['sequential'] / total:.2f}x |")
    print("same metrics on both:", tables["sequential"] == tables["ray"])


if __name__ == "__main__":
    main()
