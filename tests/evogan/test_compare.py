"""evogan compare: strategies x seeds, the summary and its statistics, plots, the report, resuming, Ray tasks."""

from __future__ import annotations

import csv
import json
import math
import subprocess
import sys
from pathlib import Path

import pytest

from evogan import Config, ConfigError
from evogan.compare import compare, mann_whitney_test, summarise, welch_test

pytestmark = pytest.mark.timeout(300)
ROOT = Path(__file__).resolve().parents[2]
TINY = ["generations=6", "population_size=2", "batch_size=32", "eval_batch_size=64", "model.hidden=16",
        "model.g_layers=2", "model.d_layers=2", "metrics.every=3", "metrics.samples=300", "log.plots=false"]


def test_welch_t_test_by_hand():
    # [1, 2, 3] vs [4, 5, 6]: t = 3 / sqrt(1/3 + 1/3) = 3.674, Welch df = 4; Student t CDF for 4 df in closed form
    t = 3 / math.sqrt(2 / 3)
    x = t / math.sqrt(4 + t * t)
    cdf = 0.5 + 0.75 * x * (1 - x * x / 3)
    assert welch_test([1, 2, 3], [4, 5, 6]) == pytest.approx(2 * (1 - cdf), rel=1e-6)
    assert welch_test([1, 2, 3], [4, 5, 6]) == pytest.approx(0.02131, abs=1e-4)
    assert math.isnan(welch_test([1.0], [2.0, 3.0]))


def test_mann_whitney_exact_p_by_hand():
    # complete separation of 3 vs 3: U = 0; exactly 2 of the C(6, 3) = 20 orderings are as extreme (two-sided)
    assert mann_whitney_test([1, 2, 3], [4, 5, 6]) == pytest.approx(2 / 20)
    # U = 1 of 3 vs 3: P(U <= 1) = 2/20 per side -> two-sided 0.2
    assert mann_whitney_test([1, 2, 4], [3, 5, 6]) == pytest.approx(4 / 20)


def test_summarise_means_stds_and_p_values():
    finals = {"a": [{"fid": 1.0, "n_samples": 5}, {"fid": 2.0, "n_samples": 5}, {"fid": 3.0, "n_samples": 5}],
              "b": [{"fid": 4.0, "n_samples": 5}, {"fid": 5.0, "n_samples": 5}, {"fid": 6.0, "n_samples": 5}]}
    rows = summarise(finals)
    assert [r["metric"] for r in rows] == ["fid", "fid"]  # n_samples describes the run, it is not compared
    a, b = rows
    assert (a["n"], a["mean"], a["std"]) == (3, 2.0, 1.0) and math.isnan(a["welch_p"])
    assert b["mean"] == 5.0 and b["welch_p"] == pytest.approx(0.02131, abs=1e-4) and b["mannwhitney_p"] == pytest.approx(0.1)


def _strategies(tmp_path) -> list[Path]:
    files = []
    for name, extra in (("egan", "p_cross = 0.0\n"), ("egan_crossover", "p_cross = 0.5\n")):
        path = tmp_path / f"{name}.toml"
        path.write_text(extra)
        files.append(path)
    return files


def test_compare_two_strategies_two_seeds_writes_everything_and_resumes(tmp_path):
    out = tmp_path / "cmp"
    result = compare(_strategies(tmp_path), seeds=2, overrides=TINY, out=out)
    assert set(result.runs) == {"egan", "egan_crossover"}
    assert all((d / "metrics.json").is_file() for dirs in result.runs.values() for d in dirs)
    rows = list(csv.DictReader(open(out / "summary.csv")))
    metrics = {r["metric"] for r in rows}
    assert {"modes_covered", "high_quality", "reverse_kl", "wall_time"} <= metrics
    core = {"modes_covered", "high_quality", "reverse_kl", "gap_mass", "wall_time"}
    assert all(r["n"] == "2" for r in rows if r["metric"] in core)
    assert all(r["n"] in ("1", "2") for r in rows)  # a metric undefined in some run (no sample near a mode) counts fewer
    crossed = [r for r in rows if r["strategy"] == "egan_crossover"]
    assert all(r["welch_p"] and r["mannwhitney_p"] for r in crossed)
    md = (out / "summary.md").read_text()
    assert "Welch's t-test" in md and "Mann–Whitney U" in md and "| egan_crossover |" in md
    for name in ("metrics_vs_generation", "metrics_vs_time", "operators", "samples"):
        assert (out / f"{name}.png").stat().st_size > 5000
    page = result.report.read_text()
    assert page.count("data:image/png;base64,") == 4 and "egan_crossover" in page and "src='http" not in page
    # interrupted comparison: one run lost its end, another never started; the others are not redone
    kept = {d: (d / "metrics.json").stat().st_mtime_ns for dirs in result.runs.values() for d in dirs}
    (out / "egan" / "seed1" / "metrics.json").unlink()  # died after its last checkpoint
    import shutil

    shutil.rmtree(out / "egan_crossover" / "seed0")
    compare(_strategies(tmp_path), seeds=2, overrides=TINY, out=out)
    redone = {d for d, mtime in kept.items() if (d / "metrics.json").stat().st_mtime_ns != mtime}
    assert redone == {out / "egan" / "seed1", out / "egan_crossover" / "seed0"}


def test_compare_from_python_with_config_objects_returns_table_and_paths(tmp_path):
    small = dict(generations=4, population_size=2, batch_size=32, eval_batch_size=64,
                 model={"hidden": 16, "g_layers": 2, "d_layers": 2}, metrics={"every": 2, "samples": 300})
    result = compare([Config(name="minimax", mutations=["minimax"], **small),
                      Config(name="heuristic", mutations=["heuristic"], **small)], seeds=1, out=tmp_path / "c")
    assert {r["strategy"] for r in result.table} == {"minimax", "heuristic"}
    assert all(p.is_file() for p in result.figures) and result.report.is_file()


def test_compare_on_ray_tasks(ray_session, tmp_path):
    result = compare(_strategies(tmp_path), seeds=2, overrides=TINY, out=tmp_path / "ray", backend="ray")
    assert all((d / "metrics.json").is_file() for dirs in result.runs.values() for d in dirs)
    sequential = compare(_strategies(tmp_path), seeds=2, overrides=TINY, out=tmp_path / "seq")
    same = [(a["strategy"], a["metric"], a["mean"]) for a in result.table if a["metric"] != "wall_time"]
    assert same == [(b["strategy"], b["metric"], b["mean"]) for b in sequential.table if b["metric"] != "wall_time"]


def test_compare_errors(tmp_path):
    with pytest.raises(ConfigError, match="--seeds"):
        compare(_strategies(tmp_path), seeds=0, out=tmp_path / "x")
    egan = _strategies(tmp_path)[0]
    with pytest.raises(ConfigError, match="named 'egan'"):
        compare([egan, egan], seeds=1, out=tmp_path / "x")
    done = subprocess.run([sys.executable, "-m", "evogan", "compare", str(tmp_path / "missing.toml"), "--out",
                           str(tmp_path / "y")], capture_output=True, text=True, cwd=ROOT)
    assert done.returncode == 2 and "config file not found" in done.stderr and "Traceback" not in done.stderr


def test_compare_never_reuses_a_run_of_another_config(tmp_path):
    """A finished 6-generation comparison, asked again with generations=3: an error, not the old summary."""
    out = tmp_path / "cmp"
    first = compare(_strategies(tmp_path)[:1], seeds=1, overrides=TINY, out=out)
    assert first.table[0]["mean"] is not None
    with pytest.raises(ConfigError, match=r"egan/seed0 holds a run of another config \(generations differ\).*--rerun"):
        compare(_strategies(tmp_path)[:1], seeds=1, overrides=TINY + ["generations=3"], out=out)
    again = compare(_strategies(tmp_path)[:1], seeds=1, overrides=TINY + ["generations=3"], out=out, rerun=True)
    final = json.loads((out / "egan" / "seed0" / "metrics.json").read_text())
    assert final["generation"] == 3 and again.runs["egan"] == [out / "egan" / "seed0"]
    done = subprocess.run([sys.executable, "-m", "evogan", "compare", *[str(p) for p in _strategies(tmp_path)[:1]],
                           "--seeds", "1", *[a for o in TINY for a in ("--set", o)], "--out", str(out)],
                          capture_output=True, text=True, cwd=ROOT)
    assert done.returncode == 2 and "holds a run of another config" in done.stderr and "Traceback" not in done.stderr
