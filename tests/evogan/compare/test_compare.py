"""evogan compare: strategies x seeds, the summary and its statistics, plots, the report, resuming, Ray tasks."""

from __future__ import annotations

import csv
import json
import math
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from evogan import Config, ConfigError
from evogan.compare import (compare, hedges_g, holm, mann_whitney_test, paired_interval, paired_test, parse_sweeps,
                            summarise, welch_interval, welch_test)
from evogan.compare._budget import equal_compute_generations
from evogan.compare._stats import MACHINE_DEPENDENT
from evogan.compare._report import estimate
from evogan.compare._run import _mode_centres
from evogan.config import load_config

pytestmark = pytest.mark.timeout(300)
ROOT = Path(__file__).resolve().parents[3]
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
    same = [(a["strategy"], a["metric"], a["mean"]) for a in result.table if a["metric"] not in MACHINE_DEPENDENT]
    assert same == [(b["strategy"], b["metric"], b["mean"]) for b in sequential.table
                    if b["metric"] not in MACHINE_DEPENDENT]
    assert {a["metric"] for a in result.table} >= {"cpu_seconds", "modes_covered"}


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


def test_holm_step_down_by_hand():
    # sorted 0.01, 0.03, 0.04 of a family of 3: 3 x 0.01 = 0.03; 2 x 0.03 = 0.06; 1 x 0.04 = 0.04 -> raised to 0.06
    assert holm([0.01, 0.04, 0.03, math.nan])[:3] == pytest.approx([0.03, 0.06, 0.06])
    assert math.isnan(holm([0.01, 0.04, 0.03, math.nan])[3])
    assert holm([0.6, 0.9]) == pytest.approx([1.0, 1.0])  # capped at 1


def test_hedges_g_by_hand():
    # pooled std of [1, 2, 3] and [4, 5, 6] is 1: d = -3; J = 1 - 3 / (4 * 6 - 9) = 0.8
    assert hedges_g([1, 2, 3], [4, 5, 6]) == pytest.approx(-2.4)
    assert math.isnan(hedges_g([1, 1], [1, 1])) and math.isnan(hedges_g([1], [2, 3]))


def test_welch_interval_by_hand():
    # [1, 2, 3] vs [4, 5, 6]: diff -3, se sqrt(1/3 + 1/3), Welch df = 4, t_{4, 0.975} = 2.7764451
    low, high = welch_interval([1, 2, 3], [4, 5, 6])
    half = 2.7764451 * math.sqrt(2 / 3)
    assert (low, high) == pytest.approx((-3 - half, -3 + half), rel=1e-6)
    # unequal variances: [0, 2, 4] (var 4) vs [1, 1.5, 2, 2.5] (var 5/12): df = (4/3 + 5/48)^2 / ((4/3)^2/2 + (5/48)^2/3)
    va, vb = 4 / 3, 5 / 48
    df = (va + vb) ** 2 / (va ** 2 / 2 + vb ** 2 / 3)
    from scipy.stats import t

    low, high = welch_interval([0, 2, 4], [1, 1.5, 2, 2.5])
    assert (high - low) / 2 == pytest.approx(t.ppf(0.975, df) * math.sqrt(va + vb)) and 2.0 < df < 2.4
    assert welch_interval([2, 2, 2], [1, 1, 1]) == (1, 1)


def test_paired_interval_and_test_by_hand():
    # differences [2, 1, 3, 2]: mean 2, sample std sqrt(2/3), se sqrt(2/3) / 2; t_{3, 0.975} = 3.1824463; t = 4.898979
    # and its two-sided p with 3 degrees of freedom 0.0162766
    a, b = [5, 7, 9, 4], [3, 6, 6, 2]
    half = 3.1824463 * math.sqrt(2 / 3) / 2
    assert paired_interval(a, b) == pytest.approx((2 - half, 2 + half), rel=1e-6)
    assert paired_test(a, b) == pytest.approx(0.0162766, rel=1e-4)
    # the same values unpaired: the seeds' spread (std 2.2 and 2.1) hides the difference pairing shows
    assert welch_test(a, b) > 0.2 and welch_interval(a, b)[0] < 0 < paired_interval(a, b)[0]
    assert paired_interval([3, 4, 5], [1, 2, 3]) == (2, 2)  # equal differences: the point
    assert all(math.isnan(v) for v in paired_interval([1, 2], [0, 0])) and math.isnan(paired_test([1], [0]))
    with pytest.raises(ValueError, match="one of each a pair"):
        paired_interval([1, 2, 3], [1, 2])


@pytest.mark.parametrize("n", [3, 5])
def test_the_interval_excludes_zero_in_about_5_percent_of_null_comparisons(n):
    """2,000 comparisons of two samples of one distribution: the 95 % interval misses 0 in 5 % of them (binomial
    s.e. 0.5 %, so 3.5-6.5 % is three of them). Normal and skewed (exponential) data alike: runs' metrics are both."""
    rng = np.random.default_rng(n)
    for draw in (rng.normal, rng.exponential):
        misses = sum(not (low <= 0 <= high) for low, high in
                     (welch_interval(draw(size=n).tolist(), draw(size=n).tolist()) for _ in range(2000)))
        assert 0.035 <= misses / 2000 <= 0.065 if draw is rng.normal else 0.01 <= misses / 2000 <= 0.065


def test_no_interval_or_effect_size_below_three_seeds():
    assert all(math.isnan(v) for v in welch_interval([1, 2], [3, 4]))
    assert math.isnan(hedges_g([1, 2], [3, 4])) and not math.isnan(welch_test([1, 2], [3, 4]))
    rows = summarise({"a": [{"high_quality": 90}, {"high_quality": 91}], "b": [{"high_quality": 80}, {"high_quality": 82}]})
    b = next(r for r in rows if r["strategy"] == "b")
    assert math.isnan(b["diff_low"]) and math.isnan(b["hedges_g"]) and b["diff"] == pytest.approx(-9.5)


def test_spreads_are_judged_by_their_distance_from_one():
    """Modes half as wide as the data's (0.5) are as wrong as twice as wide... and worse than 1.1, not better."""
    def runs(spreads):
        return [{"spread_radial": v, "high_quality": 95.0, "n_samples": 2500} for v in spreads]

    rows = {r["strategy"]: r for r in summarise({"data-like": runs([1.1, 0.9, 1.05]), "narrow": runs([0.5, 0.45, 0.55])})
            if r["metric"] == "spread_radial"}
    narrow = rows["narrow"]
    assert narrow["mean"] == pytest.approx(0.5) and narrow["values"] == [0.5, 0.45, 0.55]
    assert narrow["diff"] == pytest.approx(0.5 - 0.25 / 3)  # mean distance 0.5 against 0.0833
    from evogan.compare._report import _arrow, _verdict

    assert _verdict({**narrow, "welch_p_holm": 0.001}) == "▼" and _arrow("spread_radial") == "→1"


def test_modes_covered_warns_when_it_rests_on_few_high_quality_samples():
    finals = {"base": [{"modes_covered": 8, "high_quality": 97.0, "n_samples": 2500}] * 3,
              "thin": [{"modes_covered": 8, "high_quality": h, "n_samples": 2500} for h in (2.1, 4.3, 3.0)]}
    rows = {(r["strategy"], r["metric"]): r for r in summarise(finals)}
    assert "as few as 52 high-quality samples" in rows["thin", "modes_covered"]["warning"]
    assert rows["base", "modes_covered"]["warning"] == ""


def test_equal_compute_generations_give_every_strategy_the_baselines_cpu_budget():
    costs = {"egan": 0.012, "gan": 0.008, "slow": 0.024}
    assert equal_compute_generations(costs, 30000, "egan") == {"egan": 30000, "gan": 45000, "slow": 15000}
    assert equal_compute_generations(costs, 7, "egan", step=10) == {"egan": 10, "gan": 10, "slow": 10}


def test_summary_tests_wall_time_only_on_request_corrects_for_many_tests_and_warns_on_few_hq_samples():
    def runs(hq, kl, wall):
        return [{"high_quality": h, "reverse_kl": k, "wall_time": w, "n_samples": 2500} for h, k, w in zip(hq, kl, wall)]

    finals = {"base": runs([90, 92, 91], [0.1, 0.12, 0.11], [10, 11, 12]),
              "poor": runs([1, 2, 40], [0.5, 0.6, 0.4], [30, 31, 32]),
              "same": runs([90, 91, 92], [0.1, 0.11, 0.12], [10, 11, 12])}
    rows = {(r["strategy"], r["metric"]): r for r in summarise(finals)}
    assert not rows["poor", "wall_time"]["tested"] and math.isnan(rows["poor", "wall_time"]["welch_p"])
    assert rows["poor", "high_quality"]["tested"]
    family = [r["welch_p"] for r in rows.values() if r["tested"]]
    assert len(family) == 4  # 2 strategies x 2 metrics; wall time left out
    assert sorted(r["welch_p_holm"] for r in rows.values() if r["tested"]) == pytest.approx(sorted(holm(family)))
    assert rows["poor", "reverse_kl"]["min_hq_samples"] == 25  # 1 % of 2,500
    assert "as few as 25 high-quality samples" in rows["poor", "reverse_kl"]["warning"]
    assert rows["base", "reverse_kl"]["warning"] == "" and rows["poor", "high_quality"]["warning"] == ""
    assert rows["poor", "high_quality"]["values"] == [1, 2, 40]
    assert rows["poor", "high_quality"]["diff"] == pytest.approx(43 / 3 - 91)
    assert rows["poor", "high_quality"]["se"] == pytest.approx(np.std([1, 2, 40], ddof=1) / math.sqrt(3))
    timed = {(r["strategy"], r["metric"]): r for r in summarise(finals, time_tests=True)}
    assert timed["poor", "wall_time"]["tested"] and timed["poor", "wall_time"]["welch_p"] < 0.01


def test_estimate_keeps_the_digits_the_standard_error_allows():
    assert estimate(0.123456, 0.0234) == "0.123 ± 0.023"
    assert estimate(97.4321, 0.13) == "97.43 ± 0.13"
    assert estimate(697.4, 175.2) == "697 ± 175"
    assert estimate(2.0, math.nan) == "2"


def test_sweep_runs_the_cartesian_product_and_reports_config_diffs_per_seed_values_and_mode_centres(tmp_path):
    assert parse_sweeps(["p_cross=0,0.5", "mutations=['heuristic'],['minimax', 'heuristic']"]) == [
        [("p_cross", "0"), ("mutations", "['heuristic']")],
        [("p_cross", "0"), ("mutations", "['minimax', 'heuristic']")],
        [("p_cross", "0.5"), ("mutations", "['heuristic']")],
        [("p_cross", "0.5"), ("mutations", "['minimax', 'heuristic']")]]
    out = tmp_path / "sweep"
    result = compare(_strategies(tmp_path)[:1], seeds=2, overrides=TINY + ["generations=3"], sweep=["p_cross=0,0.5"],
                     out=out)
    assert list(result.runs) == ["egan__p_cross=0", "egan__p_cross=0.5"]
    kept = load_config(out / "egan__p_cross=0.5" / "seed1" / "config.toml")
    assert kept.p_cross == 0.5 and kept.seed == 1
    md = (out / "summary.md").read_text()
    assert "p_cross: 0.0 → 0.5" in md and "## Per seed" in md and "| seed 0 | seed 1 |" in md
    assert "## Against egan__p_cross=0" in md and "Hedges' g" in md and "not tested" in md  # wall time
    rows = list(csv.DictReader(open(out / "summary.csv")))
    hq = next(r for r in rows if r["strategy"] == "egan__p_cross=0.5" and r["metric"] == "high_quality")
    finals = [json.loads((out / "egan__p_cross=0.5" / f"seed{s}" / "metrics.json").read_text()) for s in (0, 1)]
    assert [float(v) for v in hq["values"].split(";")] == pytest.approx([f["high_quality"] for f in finals], rel=1e-5)
    page = result.report.read_text()
    assert "high_quality ↑" in page and "reverse_kl ↓" in page and "Config differences" in page
    centres = _mode_centres({"ring": load_config(None, TINY + ["dataset='ring'"])}, {"ring": result.runs["egan__p_cross=0"]})
    assert centres["ring"].shape == (8, 2) and np.allclose(np.linalg.norm(centres["ring"], axis=1), 1.0)


def test_sweep_errors_are_one_line_before_any_run(tmp_path):
    with pytest.raises(ConfigError, match="swept twice"):
        compare(_strategies(tmp_path)[:1], seeds=1, sweep=["p_cross=0", "p_cross=0.5"], out=tmp_path / "x")
    with pytest.raises(ConfigError, match="at least one value"):
        parse_sweeps(["p_cross="])
    done = subprocess.run([sys.executable, "-m", "evogan", "compare", str(_strategies(tmp_path)[0]), "--sweep",
                           "p_cros=0,0.5", "--out", str(tmp_path / "y")], capture_output=True, text=True, cwd=ROOT)
    assert done.returncode == 2 and "p_cros" in done.stderr and "did you mean 'p_cross'" in done.stderr
    assert "Traceback" not in done.stderr and not (tmp_path / "y").exists()


def test_a_two_by_two_sweep_resolves_four_strategies_with_the_right_configs(tmp_path):
    from evogan.compare._run import _resolve

    strategies = _resolve(_strategies(tmp_path)[:1], ["generations=7"], ["p_cross=0,0.5", "lr_g=1e-3,2e-4"])
    assert list(strategies) == ["egan__p_cross=0__lr_g=1e-3", "egan__p_cross=0__lr_g=2e-4",
                                "egan__p_cross=0.5__lr_g=1e-3", "egan__p_cross=0.5__lr_g=2e-4"]
    assert [(c.p_cross, c.lr_g, c.generations) for c in strategies.values()] == [
        (0.0, 1e-3, 7), (0.0, 2e-4, 7), (0.5, 1e-3, 7), (0.5, 2e-4, 7)]
    assert all(c.name == name for name, c in strategies.items())


def test_compare_announces_every_run_and_gives_equal_compute_budgets(tmp_path, capsys):
    """--equal-compute: costs measured side by side, kept in OUT and reused; each strategy's generations set so that
    its CPU budget is the baseline's; one line per run started and finished."""
    cheap, dear = tmp_path / "cheap.toml", tmp_path / "dear.toml"
    cheap.write_text("mutations = ['heuristic']\np_cross = 0.0\npopulation_size = 1\n")
    dear.write_text("mutations = ['minimax', 'heuristic', 'least_squares']\np_cross = 0.0\npopulation_size = 2\n")
    out = tmp_path / "cmp"
    result = compare([cheap, dear], seeds=1, overrides=TINY + ["generations=40"], out=out, equal_compute=True)
    saved = json.loads((out / "equal_compute.json").read_text())
    costs, generations = saved["cpu_seconds_per_generation"], saved["generations"]
    assert generations["cheap"] == 40 and costs["dear"] > 0 and len(saved["rounds"]["dear"]) == 3
    assert generations["dear"] == max(10, round(40 * costs["cheap"] / costs["dear"] / 10) * 10)
    assert load_config(result.runs["dear"][0] / "config.toml").generations == generations["dear"]
    err = capsys.readouterr().err
    assert "compare: run 1 of 2 started: cheap seed 0" in err and "compare: run 2 of 2 finished in" in err
    assert "(2/2 done)" in err and "(1/2 done; about" in err
    compare([cheap, dear], seeds=1, overrides=TINY + ["generations=40"], out=out, equal_compute=True)
    err = capsys.readouterr().err
    assert "timing" not in err and "run 2 of 2 found finished" in err  # the kept costs: the same runs


@pytest.mark.slow  # a subprocess
def test_ctrl_c_inside_compare_says_to_rerun_the_same_command(tmp_path):
    from evogan.compare._run import RERUN_HINT

    script = (f"import os, signal\nfrom evogan import Config\nfrom evogan.runner import run\n"
              f"from evogan.compare._run import RERUN_HINT\n"
              f"cfg = Config(generations=100000, population_size=1, batch_size=8, eval_batch_size=8, "
              f"model={{'hidden': 4, 'g_layers': 1, 'd_layers': 1}}, log={{'progress': False, 'plots': False}})\n"
              f"import threading; threading.Timer(3, lambda: os.kill(os.getpid(), signal.SIGINT)).start()\n"
              f"try:\n    run(cfg, {str(tmp_path / 'r')!r}, resume_hint=RERUN_HINT)\nexcept KeyboardInterrupt:\n    pass\n")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert f"resume with: {RERUN_HINT}" in done.stderr and "evogan run --resume" not in done.stderr
