"""Equal compute: each strategy's CPU seconds per generation, measured side by side, and the generations that give
every strategy the baseline's CPU budget.

A strategy's cost per generation is timed in this process with ``time.process_time`` (all its threads; the time of
Ray workers is theirs, so time in-process backends), the strategies alternating round by round so that a change of
the machine's load falls on all of them; the median over rounds is kept. Its equal-compute budget is
``baseline generations x baseline cost / its cost`` (rounded to whole ``metrics.every``): the learning-rate schedule
then spans the whole budget, as it would for a user who gave the strategy that much time.
"""

from __future__ import annotations

import statistics
import time
from dataclasses import replace

__all__ = ["cpu_seconds_per_generation", "equal_compute_generations"]


def cpu_seconds_per_generation(configs: dict, *, rounds: int = 3, warmup: int = 20, timed: int = 100,
                               threads: int | None = None) -> dict[str, dict]:
    """Strategy name → {"median": CPU s per generation, "rounds": one value per round}, generations
    ``warmup + 1 .. warmup + timed`` of a fresh experiment each round (seed 0, no files)."""
    import torch

    from ..experiment import Experiment

    before = torch.get_num_threads()
    if threads:
        torch.set_num_threads(threads)
    seconds = {name: [] for name in configs}
    try:
        for _ in range(rounds):
            for name, config in configs.items():
                probe = replace(config, seed=0, generations=warmup + timed, log=replace(config.log, progress=False))
                experiment, marks = Experiment(probe), {}
                try:
                    experiment.run(callback=lambda gen, *_: marks.setdefault(gen, time.process_time()) is None)
                finally:
                    experiment.close()
                seconds[name].append((marks[warmup + timed] - marks[warmup]) / timed)
    finally:
        torch.set_num_threads(before)
    return {name: {"median": statistics.median(values), "rounds": values} for name, values in seconds.items()}


def equal_compute_generations(costs: dict[str, float], generations: int, baseline: str, step: int = 1) -> dict[str, int]:
    """Generations that cost each strategy what ``generations`` of ``baseline`` cost, rounded to multiples of
    ``step`` (at least one step)."""
    budget = generations * costs[baseline]
    return {name: max(step, round(budget / cost / step) * step) for name, cost in costs.items()}
