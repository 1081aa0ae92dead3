"""The prepared GPU check: every backend on the device, survivors compared, speed over μ, peak memory.

    python benchmarks/gpu_check.py                  # on the GPU (device cuda); meant to finish in 8 minutes (not yet timed)
    python benchmarks/gpu_check.py --device cpu --quick   # the same code path on CPU, as the test suite runs it

Parts, each printed as it finishes (the exit status is 1 if a check fails):

0. **tests** (on a GPU, or with ``--tests``): the fast test suite, ``pytest -m "not slow"``, where every
   experiment's ``device = "auto"`` resolves to the GPU; its summary line is printed.
1. **backends**: one short Stacked-MNIST-sized image run (bundled MNIST, 28 px DCGAN, μ = 2, three loss
   mutations, crossover) per backend: in process, vectorised, Ray children on fractional GPUs
   (``parallel.gpus_per_worker``), and Ray islands (``islands.gpus_per_island``). Ray and vectorised must keep the
   in-process run's survivors with fitnesses within 1e-6 and 1e-4 (batched products sum in another order); whether
   the weights are bit-identical is printed (on CPU with one thread everywhere they are, for Ray).
2. **speed**: ms per generation for μ = 1, 4, 16 (three mutations each), in process vs vectorised, in alternating
   blocks with the device synchronised around every block; medians.
3. **memory**: the peak memory the device allocated in each speed configuration.

Nothing is downloaded. On CPU the Ray parts run on CPU workers (no GPU to share) and memory is not reported.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time

os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")  # deterministic cuBLAS, inherited by Ray's workers

import torch  # noqa: E402

from evogan import Config, Experiment  # noqa: E402
from population_scaling import seconds_per_generation  # noqa: E402  (device-synchronised timing)

FAILED: list[str] = []


def image_config(device: str, generations: int, **changes) -> Config:
    base = dict(dataset="mnist", latent_dim=32, population_size=2, generations=generations, batch_size=32,
                eval_batch_size=32, p_cross=0.5, model={"width": 16}, device=device,
                metrics={"every": 10 ** 6, "samples": 200}, log={"progress": False, "plots": False})
    base.update(changes)
    return Config(**base)


def evolve(config: Config) -> Experiment:
    ex = Experiment(config)
    try:
        ex.run()
    finally:
        ex.close()
    return ex


def compare(name: str, a: Experiment, b: Experiment, rtol: float) -> None:
    """Same survivors (lineage) with fitnesses within ``rtol``; whether the weights are bit-identical is reported.
    Weights are not held to a tolerance: where a gradient is ~0, Adam's first steps (±lr whatever its size) turn a
    last-bit difference into a whole step."""
    same_lineage = [i.lineage for i in a.population] == [i.lineage for i in b.population]
    fa, fb = ([v for i in ex.population for v in i.fitness.values] for ex in (a, b))
    worst = max(abs(x - y) / max(abs(x), 1e-12) for x, y in zip(fa, fb))
    identical = all(torch.equal(p[k], q[k]) for p, q in zip(a.population, b.population) for k in p)
    ok = same_lineage and worst <= rtol
    print(f"  {name}: survivors {'identical' if same_lineage else 'DIFFER'}, largest relative fitness difference "
          f"{worst:.1e} (allowed {rtol:g}), weights {'bit-identical' if identical else 'not bit-identical'} -> "
          f"{'ok' if ok else 'FAILED'}", flush=True)
    if not ok:
        FAILED.append(name)


def backends(device: str, generations: int) -> None:
    gpu = device.startswith("cuda")
    print(f"backends on {device}, {generations} generations each:", flush=True)
    torch.backends.cudnn.deterministic, torch.backends.cudnn.benchmark = True, False
    reference = evolve(image_config(device, generations))
    vectorised = evolve(image_config(device, generations, parallel={"backend": "vectorized"}))
    compare("vectorised vs in process", reference, vectorised, rtol=1e-4)
    share = {"gpus_per_worker": 0.25} if gpu else {}
    ray = evolve(image_config(device, generations, parallel={"backend": "ray", "workers": 2, **share}))
    compare("Ray children vs in process", reference, ray, rtol=1e-6)
    islands = {"count": 2, "backend": "ray", "migration_every": 2, **({"gpus_per_island": 0.5} if gpu else {})}
    started = time.perf_counter()
    ex = evolve(image_config(device, generations, islands=islands))
    ok = len(ex.demes) == 2 and ex.generation == generations and all(i.fitness.valid for i in ex.population)
    print(f"  Ray islands ({islands}): {len(ex.demes)} islands to generation {ex.generation}, island 0's members "
          f"valid -> {'ok' if ok else 'FAILED'} "
          f"({time.perf_counter() - started:.1f} s)", flush=True)
    if not ok:
        FAILED.append("islands")


def speed(device: str, mus: list[int], blocks: int, block: int) -> None:
    print(f"speed on {device}: ms per generation (3 mutations), medians of {blocks} alternating blocks of {block}",
          flush=True)
    print("| mu | in process | vectorised | vectorised / in process | peak memory in process / vectorised (MB) |")
    print("| --- | --- | --- | --- | --- |")
    for mu in mus:
        runs, peaks = {}, {}
        for backend in ("inprocess", "vectorized"):
            if device.startswith("cuda"):
                torch.cuda.reset_peak_memory_stats()
            ex = Experiment(image_config(device, 10 ** 6, population_size=mu, p_cross=0.5 if mu > 1 else 0.0,
                                         parallel={"backend": backend}))
            ex.run(2)  # warm up (cuDNN plans, allocator)
            runs[backend] = ex
        times = {backend: [] for backend in runs}
        for _ in range(blocks):
            for backend, ex in runs.items():
                if device.startswith("cuda"):
                    torch.cuda.reset_peak_memory_stats()
                times[backend].append(seconds_per_generation(ex, block))
                if device.startswith("cuda"):
                    peaks[backend] = max(peaks.get(backend, 0), torch.cuda.max_memory_allocated() / 2 ** 20)
        for ex in runs.values():
            ex.close()
        a, b = (statistics.median(times[k]) * 1e3 for k in ("inprocess", "vectorized"))
        memory = f"{peaks['inprocess']:.0f} / {peaks['vectorized']:.0f}" if peaks else "— (CPU)"
        print(f"| {mu} | {a:.1f} | {b:.1f} | {b / a:.2f} | {memory} |", flush=True)


def tests() -> None:
    import subprocess
    from pathlib import Path

    print("tests: pytest -m 'not slow' (device auto)", flush=True)
    done = subprocess.run([sys.executable, "-m", "pytest", "-m", "not slow", "-q", "-p", "no:cacheprovider"],
                          cwd=Path(__file__).resolve().parents[1], capture_output=True, text=True)
    lines = [line for line in done.stdout.splitlines() if line.strip()]
    print("  " + (lines[-1] if lines else done.stderr.strip()[-300:]), flush=True)
    if done.returncode:
        FAILED.append("tests")
        print("\n".join("  " + line for line in lines if line.startswith("FAILED")), flush=True)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="cuda", help="cuda, cuda:N or cpu")
    parser.add_argument("--quick", action="store_true", help="2 generations, μ = 1 and 2, one block: a smoke run")
    parser.add_argument("--tests", action=argparse.BooleanOptionalAction, default=None,
                        help="run the fast test suite first (default: on a GPU only)")
    args = parser.parse_args(argv)
    if args.device.startswith("cuda") and not torch.cuda.is_available():
        print("no CUDA device here: run it on a GPU machine, or with --device cpu for the CPU path", file=sys.stderr)
        return 2
    if args.device.startswith("cuda"):
        print(f"{torch.cuda.get_device_name(args.device)}, torch {torch.__version__}, CUDA {torch.version.cuda}")
    torch.set_num_threads(1)  # as each Ray worker has: the same kernels, so the same last bits on CPU
    started = time.perf_counter()
    if args.tests if args.tests is not None else args.device.startswith("cuda"):
        tests()
    backends(args.device, generations=2 if args.quick else 6)
    speed(args.device, mus=[1, 2] if args.quick else [1, 4, 16], blocks=1 if args.quick else 3,
          block=1 if args.quick else 10)
    print(f"{time.perf_counter() - started:.0f} s; " + (f"FAILED: {', '.join(FAILED)}" if FAILED else "all checks ok"))
    return 1 if FAILED else 0


if __name__ == "__main__":
    sys.exit(main())
