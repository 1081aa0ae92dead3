"""A short seeded E-GAN run on the bundled MNIST sample, end to end through the runner."""

from __future__ import annotations

import csv
import json

import torch
from PIL import Image

from evogan import Config
from evogan.runner import run


def mnist_config(**overrides) -> Config:
    base = dict(
        dataset="mnist", latent_dim=16, population_size=2, generations=4, batch_size=16, eval_batch_size=32,
        model={"width": 8}, metrics={"every": 2, "samples": 300}, log={"progress": False, "grid_size": 16},
    )
    base.update(overrides)
    return Config(**base)


def test_mnist_run_writes_grids_figures_and_image_metrics(tmp_path):
    out = run(mnist_config(log={"progress": False, "grid_size": 16, "tensorboard": True}), tmp_path / "run")
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["generation"] == 4 and metrics["n_samples"] == 300 and metrics["fid_real_samples"] == 300
    assert metrics["fid"] > 0 and 1.0 <= metrics["inception_score"] <= 10.0
    assert 1 <= metrics["modes"] <= 10 and 0.0 <= metrics["entropy_score"] <= 1.0
    history = [json.loads(line) for line in open(out / "metrics.jsonl")]
    assert [h["generation"] for h in history] == [0, 2, 4]
    grids = sorted(p.name for p in (out / "grids").iterdir())
    assert grids == ["gen000000.png", "gen000002.png", "gen000004.png"]
    assert Image.open(out / "grids" / "gen000004.png").size == (4 * 30 + 2, 4 * 30 + 2)  # 4 x 4 of 28 px, 2 px gaps
    assert len(list((out / "survivors").iterdir())) == 2
    assert Image.open(out / "interpolation.png").size == (10 * 30 + 2, 8 * 30 + 2)  # 8 pairs x 10 steps
    assert (out / "metrics.png").is_file() and (out / "fitness.png").is_file()
    events = list((out / "tensorboard").glob("events.out.tfevents.*"))
    assert len(events) == 1 and events[0].stat().st_size > 1000


def test_image_runs_are_reproducible(tmp_path):
    a = run(mnist_config(generations=2, log={"progress": False, "plots": False}), tmp_path / "a")
    b = run(mnist_config(generations=2, log={"progress": False, "plots": False}), tmp_path / "b")
    ma, mb = (json.loads((d / "metrics.json").read_text()) for d in (a, b))
    assert ma["fid"] == mb["fid"] and ma["inception_score"] == mb["inception_score"]
    rows = [list(csv.DictReader(open(d / "logbook.csv"))) for d in (a, b)]
    assert len(rows[0]) == 2
    for ra, rb in zip(*rows):
        for key in ra.keys() - {"seconds", "wall_time"}:
            assert ra[key] == rb[key], key


def test_max_seconds_stops_the_run_and_measures_at_the_stop(tmp_path):
    out = run(mnist_config(generations=50, max_seconds=1e-6, log={"progress": False, "plots": False}), tmp_path / "run")
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["generation"] == 1 and metrics["stopped_by_time"] is True
    assert len((out / "logbook.csv").read_text().splitlines()) == 2


def test_interpolation_endpoints_are_the_two_latents():
    from evogan.io.figures import interpolation_latents

    z1, z2 = torch.zeros(2, 3), torch.ones(2, 3)
    z = interpolation_latents(z1, z2, 5)
    assert z.shape == (10, 3)
    assert torch.equal(z[0], z1[0]) and torch.equal(z[4], z2[0]) and torch.allclose(z[2], torch.full((3,), 0.5))
    assert torch.equal(z[5], z1[1]) and torch.equal(z[9], z2[1])
