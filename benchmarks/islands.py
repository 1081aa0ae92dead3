"""Islands (issue 18): throughput in process vs on Ray, bytes on the wire, quality at equal compute.

``python benchmarks/islands.py --part throughput`` (default: both parts):
  generations x islands per second for 1, 2 and 4 islands (ring, E-GAN mu = 2, 3 x 128 MLPs,
  migration every 10), in process and on Ray (island actors of ``--cpus-per-island`` CPUs
  on a local Ray of this machine's cores; island 0 in this process), alternating blocks of
  ``--block`` generations in one process, medians; and the bytes that cross per migration
  against those today's children-level Ray backend ships per generation, from the pickled
  size of one individual (weights and both Adam moments) at ``--hidden`` units; and whole
  runs of 4 islands on Ray, synchronous vs asynchronous (``--async-generations``).
``python benchmarks/islands.py --part quality [--seeds 0 1 2 3 4] [--jobs 2] [--set KEY=VALUE]``:
  the grid at equal children per generation (24): 4 islands x mu = 2 (migration, or
  Lipizzaner's neighbourhood) vs one population of mu = 8 vs DynGAN (mu = 2, up to 4
  niches), each with packing 2 and the mode-collapse CPU protocol (batch 256, lr 1e-3
  cosine to 1 %, 2 D steps) for ``--generations``; modes,
  % HQ, reverse KL, mean +- s.e. over the seeds that finished (named); resumable, finished
  runs kept in benchmarks/results/islands_grid/.
GPU: ``--gpus-per-island 0.25`` places four island actors on one GPU.
"""

from __future__ import annotations

import argparse
import os
import pickle
import statistics
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import kept_runs
from kept_runs import ROOT, finished, keep, mean_se, values

# batch sizes count packs: 128 packs of 2 are the 256 samples of the mode-collapse protocol
PROTOCOL = ["dataset='grid'", "batch_size=128", "eval_batch_size=128", "lr_g=1e-3", "lr_d=1e-3", "schedule.g='cosine'", "schedule.d='cosine'",
            "schedule.final=0.01", "pack=2", "p_cross=0.0", "log.plots=false",
            'mutations=["minimax", "heuristic", "least_squares"]']
#: strategy → (label, overrides): 24 children per generation each
STRATEGIES = {
    "islands4": ("4 islands x mu = 2 (ring, 1 migrant / 20 gen, evolved mixture)",
                 ["population_size=2", "islands.count=4", "islands.migration_every=20", "islands.migrants=1",
                  "islands.mixture='evolved'"]),
    "single8": ("one population, mu = 8", ["population_size=8"]),
    "neighbourhood4": ("4 islands x mu = 2, Lipizzaner's neighbourhood (ring, every 20 gen, average fitness)",
                       ["population_size=2", "islands.count=4", "islands.migration_every=20", "islands.migrants=1",
                        "islands.policy='neighbourhood'", "islands.mixture='evolved'"]),
    # unpacked: DynGAN's detector reads D sample by sample, which a packed D cannot give (evogan refuses the pair);
    # the rows measured with packing 2 before are kept in results/islands_grid*/grid/dyngan_pack2
    "dyngan": ("DynGAN, mu = 2, up to 4 niches, unpacked", ["population_size=2", "dyngan.enabled=true",
                                                           "dyngan.max_niches=4", "pack=1", "batch_size=256",
                                                           "eval_batch_size=256"]),
}
#: rows kept from runs that can no longer be made (reported, never run): strategy -> label
KEPT_ONLY = {"dyngan_pack2": "DynGAN, mu = 2, up to 4 niches, packing 2 (kept runs from before DynGAN refused packing)"}


def throughput(args) -> None:
    import ray
    import torch

    from evogan import Config, Experiment
    from evogan.parallel.kit import pack

    torch.set_num_threads(1)
    ray.init(num_cpus=os.cpu_count(), include_dashboard=False, logging_level="ERROR",
             object_store_memory=200 * 2**20)
    base = dict(generations=10**6, population_size=2, batch_size=64, metrics={"every": 10**6},
                log={"progress": False, "plots": False}, tune_malloc=True)
    print(f"ring, E-GAN mu = 2 per island, 3 x 128 MLPs, blocks of {args.block} generations x {args.blocks}, "
          f"island actors of {args.cpus_per_island} CPU / {args.gpus_per_island} GPU, 1 torch thread each\n")
    print("| islands | in process: generations x islands / s | on Ray | Ray / in process |")
    print("| --- | --- | --- | --- |")
    for count in args.islands:
        settings = {"count": count, "migration_every": 10, "migrants": 1 if count > 1 else 0}
        experiments = {"inprocess": Experiment(Config(**base, islands=settings))}
        if count > 1:
            experiments["ray"] = Experiment(Config(**base, islands={
                **settings, "backend": "ray", "cpus_per_island": args.cpus_per_island,
                "gpus_per_island": args.gpus_per_island}))
        rates = {name: [] for name in experiments}
        for name, ex in experiments.items():  # warm-up
            ex.run(ex.generation + 2)
        for _ in range(args.blocks):
            for name, ex in experiments.items():
                started = time.perf_counter()
                ex.run(ex.generation + args.block)
                rates[name].append(args.block * count / (time.perf_counter() - started))
        local = statistics.median(rates["inprocess"])
        remote = statistics.median(rates["ray"]) if "ray" in rates else None
        print(f"| {count} | {local:.1f} | {f'{remote:.1f}' if remote else '(no actor)'} | "
              f"{f'{remote / local:.2f}x' if remote else ''} |", flush=True)
        for ex in experiments.values():
            ex.close()
    synchronous_vs_asynchronous(args, base)
    ray.shutdown()
    ex = Experiment(Config(generations=1, population_size=4, model={"hidden": args.hidden},
                           log={"progress": False, "plots": False}))
    individual = len(pickle.dumps(pack(ex.population[0])))
    discriminator = len(pickle.dumps(pack(ex.adversary.shared_state())))
    children_level = 4 * individual + 12 * individual + discriminator  # parents out, 12 children back, D's weights
    ex.close()
    print(f"\nbytes on the wire, 3 x {args.hidden} MLPs: one individual (weights + Adam moments) "
          f"{individual / 1e6:.2f} MB")
    print(f"- children-level Ray backend (mu = 4, 3 mutations): {children_level / 1e6:.1f} MB every generation")
    for count, edges in ((4, 4), (16, 16), (16, 64)):
        label = "ring" if edges == count else "torus"
        print(f"- {count} islands ({label}, 1 migrant each way): {edges * individual / 1e6:.2f} MB per migration, "
              f"{edges * individual / 1e6 / 10:.3f} MB per generation at migration_every = 10")


def synchronous_vs_asynchronous(args, base: dict) -> None:
    """Whole runs of ``--async-generations`` with 4 islands on Ray, synchronous vs asynchronous, alternating; the
    asynchronous run's time includes waiting at the end for every island to reach the last generation."""
    from evogan import Config, Experiment

    count, generations = 4, args.async_generations
    settings = {"count": count, "migration_every": 10, "migrants": 1, "backend": "ray",
                "cpus_per_island": args.cpus_per_island, "gpus_per_island": args.gpus_per_island}
    rates = {False: [], True: []}
    for _ in range(args.blocks):
        for asynchronous in rates:
            ex = Experiment(Config(**{**base, "generations": generations},
                                   islands={**settings, "asynchronous": asynchronous}))
            started = time.perf_counter()
            ex.run()
            rates[asynchronous].append(generations * count / (time.perf_counter() - started))
            ex.close()
    sync, free = statistics.median(rates[False]), statistics.median(rates[True])
    print(f"\n{count} islands on Ray, whole runs of {generations} generations (migration every 10), medians of "
          f"{args.blocks}, alternating: synchronous {sync:.1f}, asynchronous {free:.1f} generations x islands / s "
          f"(asynchronous / synchronous {free / sync:.2f}x)", flush=True)


def quality(args) -> None:
    out = Path(args.out)
    if not args.report_only:
        overrides = PROTOCOL + [f"generations={args.generations}", f"metrics.every={max(1, args.generations // 6)}",
                                f"log.checkpoint_every={max(1, args.generations // 6)}"] + args.overrides
        jobs = [(strategy, seed) for seed in args.seeds for strategy in args.strategies]

        def execute(job):
            strategy, seed = job
            return kept_runs.execute(out, "grid", strategy, seed,
                                     kept_runs.sets(overrides + STRATEGIES[strategy][1] + [f"seed={seed}"]))

        with ThreadPoolExecutor(args.jobs) as pool:
            for line in pool.map(execute, jobs):
                print(line, flush=True)
    print(f"\ngrid, {args.generations} generations, 24 children per generation, packing 2; "
          f"extra: {', '.join(args.overrides) or 'none'}\n")
    print("| strategy | seeds | modes (of 25) | % high quality | reverse KL | wall s / run |")
    print("| --- | --- | --- | --- | --- | --- |")
    labels = {s: STRATEGIES[s][0] for s in args.strategies} | KEPT_ONLY
    for strategy, label in labels.items():
        for seed in args.seeds:
            keep(out, "grid", strategy, seed)
        runs = finished(out, "grid", strategy, args.seeds)
        finals = [final for _, final, _ in runs]
        if not finals:
            if strategy not in KEPT_ONLY:
                print(f"| {label} | none finished | | | | |")
            continue
        pick = lambda key: values(finals, key)  # noqa: E731
        print(f"| {label} | {','.join(str(s) for s, _, _ in runs)} | "
              f"{mean_se(pick('modes_covered'), 1)} | {mean_se(pick('high_quality'), 1)} | "
              f"{mean_se(pick('reverse_kl'), 3)} | {mean_se(pick('wall_time'), 0)} |")
    print("\n" + kept_runs.made_with())


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--part", choices=["throughput", "quality", "both"], default="both")
    parser.add_argument("--islands", nargs="+", type=int, default=[1, 2, 4])
    parser.add_argument("--blocks", type=int, default=5)
    parser.add_argument("--block", type=int, default=10)
    parser.add_argument("--cpus-per-island", type=float, default=0.5)
    parser.add_argument("--gpus-per-island", type=float, default=0.0)
    parser.add_argument("--async-generations", type=int, default=60,
                        help="generations of each whole run in the synchronous vs asynchronous comparison")
    parser.add_argument("--hidden", type=int, default=512, help="MLP width for the bytes-on-the-wire figures")
    parser.add_argument("--strategies", nargs="+", default=list(STRATEGIES), choices=list(STRATEGIES))
    parser.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2, 3, 4])
    parser.add_argument("--generations", type=int, default=3000)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--set", dest="overrides", action="append", default=[])
    parser.add_argument("--out", default=str(ROOT / "benchmarks" / "out" / "islands_grid"))
    parser.add_argument("--report-only", action="store_true")
    args = parser.parse_args()
    if args.part in ("throughput", "both"):
        throughput(args)
    if args.part in ("quality", "both"):
        quality(args)


if __name__ == "__main__":
    main()
