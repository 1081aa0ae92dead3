"""TensorBoard: no constant curves (exact step shapes), 2-D sample scatters, the config as hyperparameters."""

from __future__ import annotations

import pytest
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

from evogan import Config
from evogan.runner import run
from evogan.io.tensorboard import TensorBoardLog


def _events(directory) -> EventAccumulator:
    events = EventAccumulator(str(directory), size_guidance={"scalars": 0, "images": 0})
    events.Reload()
    return events


def test_a_series_is_written_from_its_first_change_with_its_constant_stretch_exact(tmp_path):
    log = TensorBoardLog(tmp_path)
    for step, (a, b) in enumerate([(1.0, 7.0), (1.0, 7.0), (1.0, 7.0), (2.0, 7.0), (3.0, 7.0)], start=1):
        log.scalars("g", {"a": a, "b": b, "gen": step, "flag": True, "name": "x"}, step)
    log.scalars("g", {"c": 4.0}, 9)
    log.scalars("g", {"c": 5.0}, 10)
    log.close()
    events = _events(tmp_path)
    assert sorted(events.Tags()["scalars"]) == ["g/a", "g/c"]  # b never changed; gen is the step; no bools or text
    assert [(e.step, e.value) for e in events.Scalars("g/a")] == [(1, 1.0), (3, 1.0), (4, 2.0), (5, 3.0)]
    assert [(e.step, e.value) for e in events.Scalars("g/c")] == [(9, 4.0), (10, 5.0)]


def test_a_ring_run_logs_changing_scalars_sample_scatters_and_its_hyperparameters(tmp_path):
    config = Config(generations=6, population_size=2, batch_size=32, eval_batch_size=64, mutations=["heuristic"],
                    model={"hidden": 16, "g_layers": 2, "d_layers": 2}, metrics={"every": 3, "samples": 300},
                    log={"progress": False, "plots": False, "tensorboard": True})
    out = run(config, tmp_path / "run")
    events = _events(out / "tensorboard")
    scalars = set(events.Tags()["scalars"])
    assert {"logbook/d_loss", "logbook/f_q_avg", "metrics/wall_time"} <= scalars
    assert not {"metrics/n_samples", "metrics/n_modes", "logbook/nevals", "logbook/gen"} & scalars  # constants
    # a final metric that never changed in 6 generations (e.g. no mode covered yet): one point, for the HParams view
    assert [e.step for e in events.Scalars("metrics/modes_covered")] in ([6], [0, 3, 6])
    assert [e.step for e in events.Scalars("logbook/d_loss")] == [1, 2, 3, 4, 5, 6]
    assert [e.step for e in events.Images("samples")] == [0, 3, 6]
    assert events.Images("samples")[0].width > 200
    hparams = events.PluginTagToContent("hparams")
    assert {"_hparams_/experiment", "_hparams_/session_start_info"} <= set(hparams)
    start = hparams["_hparams_/session_start_info"]
    assert b"population_size" in start and b"model.hidden" in start and b"heuristic" in start
    assert b"metrics/high_quality" in hparams["_hparams_/experiment"]


@pytest.mark.parametrize("value", [float("nan"), float("inf")])
def test_non_finite_values_are_not_written(tmp_path, value):
    log = TensorBoardLog(tmp_path)
    log.scalars("g", {"a": 1.0}, 1)
    log.scalars("g", {"a": value}, 2)
    log.scalars("g", {"a": 2.0}, 3)
    log.close()
    assert [(e.step, e.value) for e in _events(tmp_path).Scalars("g/a")] == [(1, 1.0), (3, 2.0)]
