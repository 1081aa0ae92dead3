"""A seeded single-population run and a DynGAN run, small enough for a test: their logbooks and final metrics."""

from __future__ import annotations

import json
from pathlib import Path

RUNS = {
    "single": dict(generations=5, population_size=2, batch_size=32, eval_batch_size=64, p_cross=0.5,
                   model={"hidden": 16, "g_layers": 2, "d_layers": 2}, metrics={"every": 5, "samples": 300},
                   log={"progress": False, "plots": False}),
    "dyngan": dict(dataset="grid", generations=8, population_size=2, batch_size=32, eval_batch_size=64, p_cross=0.5,
                   lr_d=5e-3, mutations=["minimax", "heuristic+entropy", "least_squares"],
                   model={"hidden": 16, "g_layers": 2, "d_layers": 2}, metrics={"every": 4, "samples": 300},
                   log={"progress": False, "plots": False},
                   dyngan={"enabled": True, "pool": 500, "every": 4, "tau": 0.01, "delta": 0.8}),
}
#: logbook columns that measure the machine, not the run
TIMING = {"seconds", "wall_time"}


def record(name: str, root: Path) -> dict:
    """The run's logbook rows (timing left out) and final metrics."""
    from evogan import Config
    from evogan.runner import run

    run_dir = run(Config(**RUNS[name]), root / name)
    rows = [json.loads(line) for line in open(run_dir / "logbook.jsonl")]
    final = json.loads((run_dir / "metrics.json").read_text())
    return {"logbook": [{k: v for k, v in row.items() if k not in TIMING} for row in rows],
            "metrics": {k: v for k, v in final.items() if k not in TIMING}}

