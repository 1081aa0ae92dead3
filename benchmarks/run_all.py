"""The performance suite: every speed ratio and the memory per population member, one command, one table.

Runs, each in its own process:
- ``framework_overhead.py``: evogan vs a hand-written PyTorch loop (target <= 1.10);
- ``crossover_cost.py``: p_cross = 0.5 vs 0 (target <= 1.03);
- ``population_scaling.py``: an E-GAN generation vs one GAN iteration for μ = 1, 2, 4, 8, in process and
  vectorised (targets: μ = 1 <= 2x, μ = 8 <= 4x): ring MLPs 128 and 32 wide on one torch thread and on all
  cores, and the 28 px DCGAN (width 32) on all cores;
- peak memory per population member: peak RSS at μ = 8 minus μ = 1, over 7, for the ring MLP and the 28 px
  DCGAN, in process and vectorised, next to the bytes an individual holds (weights + two Adam moments).
Then prints the summary table. ``--quick`` uses fewer repetitions. On a GPU machine everything runs on
CUDA (``device = "auto"``), the thread settings aside.

    python benchmarks/run_all.py [--quick]
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent

MEMORY = r"""
import json, resource, sys
import torch
from evogan import Config, Experiment
dataset, mu, backend = sys.argv[1], int(sys.argv[2]), sys.argv[3]
extra = dict(latent_dim=100, model={"width": 64}, eval_batch_size=64) if dataset == "mnist" else {}
ex = Experiment(Config(dataset=dataset, population_size=mu, log={"progress": False}, parallel={"backend": backend}, **extra))
ex.run(5)
ind = ex.population[0]
tensors = list(ind.values()) + list(ind.adam["exp_avg"].values()) + list(ind.adam["exp_avg_sq"].values())
print(json.dumps({"rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                  "cuda_mb": torch.cuda.max_memory_allocated() / 2**20 if ex.device.type == "cuda" else None,
                  "individual_mb": sum(t.numel() * t.element_size() for t in tensors) / 2**20}))
"""


def script(name: str, *args: str) -> str:
    done = subprocess.run([sys.executable, str(HERE / name), *args], capture_output=True, text=True, check=True)
    return done.stdout


def memory(dataset: str, mu: int, backend: str) -> dict:
    done = subprocess.run([sys.executable, "-c", MEMORY, dataset, str(mu), backend], capture_output=True, text=True,
                          check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def ratio(text: str) -> float:
    return float(re.search(r"ratio \(target[^)]*\): ([0-9.]+)", text).group(1))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer repetitions (noisier)")
    args = parser.parse_args()
    reps = ["--blocks", "4", "--block", "10"] if args.quick else ["--blocks", "10", "--block", "20"]
    overhead = script("framework_overhead.py", *reps)
    crossover = script("crossover_cost.py", *reps)
    short = ["--blocks", reps[1], "--generations", reps[3]]
    dcgan = ["--blocks", "3", "--generations", "2" if args.quick else "4"]
    scaling = {
        "MLP 128, 1 thread": script("population_scaling.py", *short, "--hidden", "128"),
        "MLP 32, 1 thread": script("population_scaling.py", *short, "--hidden", "32"),
        "MLP 128, all cores": script("population_scaling.py", *short, "--hidden", "128", "--threads", "0"),
        "MLP 32, all cores": script("population_scaling.py", *short, "--hidden", "32", "--threads", "0"),
        "28 px DCGAN 32 wide, all cores": script("population_scaling.py", *dcgan, "--dataset", "mnist", "--width", "32",
                                                 "--threads", "0"),
    }
    for text in (overhead, crossover, *scaling.values()):
        print(text)
    rows = [("framework overhead: evogan / hand-written loop (μ = 4, MLP 128)", f"{ratio(overhead):.2f}x", "<= 1.10"),
            ("crossover: p_cross 0.5 / 0 (μ = 4)", f"{ratio(crossover):.3f}x", "<= 1.03")]
    for label, text in scaling.items():
        for line in text.splitlines():
            cells = [c.strip() for c in line.strip("|").split("|")]
            if len(cells) == 7 and cells[0] in ("1", "8"):
                target = "<= 2x" if cells[0] == "1" else "<= 4x"
                rows.append((f"E-GAN generation / GAN iteration, μ = {cells[0]}, {label}: in process / vectorised",
                             f"{cells[4]} / {cells[5]}", target))
    for dataset, backend, label in (("ring", "inprocess", "ring MLP"), ("ring", "vectorized", "ring MLP, vectorised"),
                                    ("mnist", "inprocess", "28 px DCGAN"), ("mnist", "vectorized", "28 px DCGAN, vectorised")):
        one, eight = memory(dataset, 1, backend), memory(dataset, 8, backend)
        kind = "cuda_mb" if eight["cuda_mb"] is not None else "rss_mb"  # on a GPU, what counts is GPU memory
        per_member = (eight[kind] - one[kind]) / 7
        what = "peak CUDA memory" if kind == "cuda_mb" else "peak RSS"
        rows.append((f"{what} per population member, {label}", f"{per_member:.1f} MB",
                     f"individual holds {eight['individual_mb']:.2f} MB"))
    print("| measure | value | target / reference |\n| --- | --- | --- |")
    for row in rows:
        print("| " + " | ".join(row) + " |")


if __name__ == "__main__":
    main()
