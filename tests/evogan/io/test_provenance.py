"""provenance.json: the software and machine a run was computed with, and its CPU seconds summed over resumes;
a checkpoint of an evogan whose batch sizes counted samples does not resume a packed run on twice the samples."""

from __future__ import annotations

import json
import time

import pytest
import torch

from evogan import Config, ConfigError
from evogan.io.checkpoint import checkpoint_files, read_checkpoint, save_checkpoint
from evogan.io.provenance import environment, read_cpu_seconds
from evogan.runner import resume, run

SMALL = dict(population_size=1, p_cross=0.0, batch_size=16, eval_batch_size=32, model={"hidden": 8, "g_layers": 1, "d_layers": 1},
             metrics={"every": 20, "samples": 200}, log={"progress": False, "plots": False, "checkpoint_every": 10})


def test_a_run_records_its_software_machine_threads_and_cpu_seconds(tmp_path):
    started = time.process_time()
    run_dir = run(Config(generations=20, **SMALL), tmp_path / "run")
    spent = time.process_time() - started
    record = json.loads((run_dir / "provenance.json").read_text())
    assert record["torch"] == torch.__version__ and record["threads"] == torch.get_num_threads()
    assert record["cpu_capability"] == torch.backends.cpu.get_cpu_capability() and record["device"] == "cpu"
    assert {"evogan", "commit", "numpy", "deap", "python", "cpu", "cpu_count"} <= record.keys()
    assert record["generation"] == 20 and len(record["sessions"]) == 1
    assert 0 < read_cpu_seconds(run_dir) <= spent  # the training and evaluations, not the start-up around them


def test_cpu_seconds_add_up_over_a_resume(tmp_path):
    run_dir = run(Config(generations=10, **SMALL), tmp_path / "run")
    first = read_cpu_seconds(run_dir)
    resume(run_dir, ["generations=30"])
    record = json.loads((run_dir / "provenance.json").read_text())
    assert record["generation"] == 30 and record["cpu_seconds"] > first
    assert record["sessions"][-1]["until_generation"] == 30 and record["sessions"][-1]["environment"] == environment("cpu")


def test_a_packed_checkpoint_from_when_batches_counted_samples_is_refused(tmp_path):
    run_dir = run(Config(generations=10, pack=2, **SMALL), tmp_path / "run")
    newest = checkpoint_files(run_dir / "checkpoints")[0]
    state = read_checkpoint(newest)
    assert state.pop("batches") == "packs"
    save_checkpoint(run_dir / "checkpoints", state["generation"], state)  # as an evogan before packs wrote it
    with pytest.raises(ConfigError, match="batch sizes counted samples; with pack = 2 they now count packs"):
        resume(run_dir, ["generations=20"])


def test_an_unpacked_checkpoint_from_before_resumes(tmp_path):
    run_dir = run(Config(generations=10, **SMALL), tmp_path / "run")
    newest = checkpoint_files(run_dir / "checkpoints")[0]
    state = read_checkpoint(newest)
    del state["batches"], state["runner"]["cpu"]  # pack 1: batch sizes meant the same then
    save_checkpoint(run_dir / "checkpoints", state["generation"], state)
    resume(run_dir, ["generations=20"])
    assert json.loads((run_dir / "metrics.json").read_text())["generation"] == 20


def test_a_cpu_budget_stops_after_the_generation_that_passes_it_and_counts_over_resumes(tmp_path):
    run_dir = run(Config(generations=100_000, max_cpu_seconds=0.3, **SMALL), tmp_path / "run")
    first = json.loads((run_dir / "metrics.json").read_text())
    spent = read_cpu_seconds(run_dir)
    assert first["stopped_by_time"] is True and 1 < first["generation"] < 100_000
    assert 0.3 <= spent < 0.3 + 2.0  # the last generation and the evaluation at the stop, far below 2 s here
    resume(run_dir, ["max_cpu_seconds=0.3"])  # the budget is already spent: one more generation, then the stop
    assert json.loads((run_dir / "metrics.json").read_text())["generation"] == first["generation"] + 1
    resume(run_dir, ["max_cpu_seconds=0.9"])
    later = json.loads((run_dir / "metrics.json").read_text())
    assert later["stopped_by_time"] is True and later["generation"] > first["generation"] + 1
    assert 0.9 <= read_cpu_seconds(run_dir) < 0.9 + 2.0


def test_a_cpu_budget_is_refused_on_ray_whose_workers_are_other_processes():
    with pytest.raises(ConfigError, match="max_cpu_seconds: a CPU budget counts this process's CPU time"):
        Config(max_cpu_seconds=60, parallel={"backend": "ray"})
    with pytest.raises(ConfigError, match="max_cpu_seconds"):
        Config(max_cpu_seconds=60, population_size=2, islands={"count": 2, "migrants": 0, "backend": "ray"})
    assert Config(max_cpu_seconds=60, parallel={"backend": "vectorized"}).max_cpu_seconds == 60
