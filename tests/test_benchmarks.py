"""The equal-compute benchmark's runs do not depend on runs/default.toml: a strategy's config, built as the benchmark
builds it, equals the config of its kept run (benchmarks/results) key for key, whatever the built-in default."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from evogan.config import config_to_dict, flat_config, load_config

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))
import equal_compute  # noqa: E402
import kept_runs  # noqa: E402

#: keys added to the config after these runs were made (their engine defaults are what the runs used), and one whose
#: default changed since without a use in a one-island run
NOT_COMPARED = {"metrics.prdc_k", "metrics.prdc_samples", "metrics.kid_subsets", "metrics.kid_subset_size",
                "update", "parallel.ray_logs", "islands.cpus_per_island", "cull_below", "cull_patience"}


@pytest.mark.parametrize("strategy, budget", [("gan", "compute"), ("pacgan2", "compute"),
                                              ("egan_pack2_256", "compute"), ("pacgan2_mu2", "compute"),
                                              ("egan_no_pack", "generations")])
def test_a_strategy_s_config_is_its_kept_run_s(strategy, budget):
    kept = kept_runs.kept_dir(Path(equal_compute.OUT_NAME), "grid", f"{strategy}@{budget}", 0) / "config.toml"
    if not kept.is_file():
        pytest.skip(f"{kept} is not in this checkout")
    generations = load_config(kept).generations
    built = flat_config(config_to_dict(load_config(kept_runs.ENGINE_DEFAULTS,
                                                   equal_compute.overrides(strategy, generations, 0))))
    recorded = flat_config(config_to_dict(load_config(kept)))
    differ = {k: (recorded[k], built[k]) for k in built if built[k] != recorded.get(k) and k not in NOT_COMPARED}
    assert not differ
    # and the built-in default would have changed them: the benchmark must not start from it
    from_default = flat_config(config_to_dict(load_config(None, equal_compute.overrides(strategy, generations, 0))))
    assert strategy != "gan" or from_default["pack"] != built["pack"]


#: what a benchmark sets for its own bookkeeping, not part of the strategy
BOOKKEEPING = {"name", "seed", "metrics.every", "log.checkpoint_every", "log.plots"}


@pytest.mark.parametrize("preset, strategy, budget", [("default", "pacgan2_mu2", "compute"),
                                                      ("grid_egan_pack2_256", "egan_pack2_256", "compute"),
                                                      ("grid_gan", "gan", "compute"),
                                                      ("cross10d_mixture4", "pacgan2_mu4", "compute")])
def test_the_quick_start_presets_are_the_measured_strategies_key_for_key(preset, strategy, budget):
    """`evogan run`, `evogan run grid_gan` and the measured presets train exactly what the equal-compute table reports,
    on the preset's mixture."""
    from evogan.config import PRESETS

    shipped = flat_config(config_to_dict(load_config(PRESETS / f"{preset}.toml")))
    calibration = json.loads((kept_runs.RESULTS / equal_compute.OUT_NAME / "calibration.json").read_text())
    generations = equal_compute.budget_generations(calibration, strategy, budget)
    measured = flat_config(config_to_dict(load_config(kept_runs.ENGINE_DEFAULTS,
                                                      equal_compute.overrides(strategy, generations, 0,
                                                                              shipped["dataset"]))))
    differ = {k: (shipped[k], measured[k]) for k in shipped if shipped[k] != measured[k] and k not in BOOKKEEPING}
    assert not differ


def _without_dates(text: str) -> str:
    """The dates under a table come from git history, which a shallow clone lacks; the numbers must match anyway."""
    import re

    return re.sub(r"finished runs, made \S+ to \S+ ", "finished runs ", text)


@pytest.mark.slow
def test_the_benchmarks_readme_tables_are_the_committed_results():
    """Every generated block of benchmarks/README.md is what its --report-only command prints from the committed
    runs now: a kept run added without regenerating the README, or a table typed in by hand, fails here."""
    import update_readme

    readme = update_readme.README.read_text()
    assert len(update_readme.BLOCK.findall(readme)) >= 9
    assert _without_dates(update_readme.regenerate(readme)) == _without_dates(readme), \
        "benchmarks/README.md is stale: run python benchmarks/update_readme.py"


def test_a_generated_block_must_be_a_report(tmp_path):
    import update_readme

    for command in ("equal_compute.py --datasets grid", "no_such_script.py --report-only", "../evogan/cli.py --report-only"):
        with pytest.raises(update_readme.BadBlock, match="must be a script in benchmarks/ with --report-only"):
            update_readme.regenerate(f"<!-- generated: {command} -->\nold\n<!-- end generated -->")
    readme = tmp_path / "README.md"
    readme.write_text("<!-- generated: equal_compute.py --report-only --datasets grid --seeds 0 --plan gan@compute"
                      " -->\ntyped by hand\n<!-- end generated -->\n")
    assert update_readme.main(["--check", "--readme", str(readme)]) == 1 and "typed by hand" in readme.read_text()
    assert update_readme.main(["--readme", str(readme)]) == 0
    text = readme.read_text()
    assert "typed by hand" not in text and "| GAN (batch 256) | compute | 37500 | 0 |" in text
    assert update_readme.main(["--check", "--readme", str(readme)]) == 0


@pytest.mark.parametrize("strategy", sorted(equal_compute.SAME_COST))
def test_a_same_cost_strategy_does_its_bases_tensor_work(strategy):
    """It takes its base's calibrated generations, so its tensor work must be the base's: only learning rates, which
    of the same children survives, or the latent's size (G's first layer, about 1 % of the work) may differ."""
    base = equal_compute.SAME_COST[strategy]
    ours = flat_config(config_to_dict(load_config(kept_runs.ENGINE_DEFAULTS, equal_compute.overrides(strategy, 10, 0))))
    theirs = flat_config(config_to_dict(load_config(kept_runs.ENGINE_DEFAULTS, equal_compute.overrides(base, 10, 0))))
    differ = {key for key in ours if ours[key] != theirs[key]}
    assert differ and differ <= {"lr_g", "genes.lr_sigma", "selection", "latent_dim"}, differ


@pytest.mark.parametrize("strategy", sorted(equal_compute.ABLATIONS))
def test_an_ablation_trains_on_its_bases_samples_and_takes_its_generations(strategy):
    """An ablation runs at its base's generations, so it must push as many samples a generation through G and D as
    its base (batch_size x pack), and differ from it only in the part it takes away."""
    base = equal_compute.ABLATIONS[strategy][2]
    ours = flat_config(config_to_dict(load_config(kept_runs.ENGINE_DEFAULTS, equal_compute.overrides(strategy, 10, 0))))
    theirs = flat_config(config_to_dict(load_config(kept_runs.ENGINE_DEFAULTS, equal_compute.overrides(base, 10, 0))))
    assert ours["batch_size"] * ours["pack"] == theirs["batch_size"] * theirs["pack"]
    assert ours["population_size"] == theirs["population_size"]
    differ = {key for key in ours if ours[key] != theirs[key]}
    assert differ and differ <= {"mutations", "selection", "gamma", "pack", "batch_size", "eval_batch_size",
                                 "schedule.g", "schedule.d"}, differ
    calibration = json.loads((kept_runs.RESULTS / equal_compute.OUT_NAME / "calibration.json").read_text())
    assert equal_compute.budget_generations(calibration, strategy, "compute") == \
        calibration["generations"][base]["compute"]


@pytest.mark.slow
def test_the_gpu_check_runs_its_whole_path_on_cpu(capsys):
    """benchmarks/gpu_check.py, prepared for a GPU machine, on this one: every backend's survivors compared, the
    speed table printed, exit status 0."""
    import gpu_check

    assert gpu_check.main(["--device", "cpu", "--quick"]) == 0
    out = capsys.readouterr().out
    assert out.count("-> ok") == 3 and "Ray children vs in process: survivors identical" in out
    assert "| 1 |" in out and "| 2 |" in out and "all checks ok" in out


def test_every_stacked_mnist_strategy_is_a_config_and_a_cpu_budget_resumes(monkeypatch):
    """Each strategy's run, as the benchmark starts it: a valid config; a CPU budget is ``max_cpu_seconds`` with
    checkpoints and a resumable run, a wall budget ``max_seconds`` and a fresh start."""
    import argparse

    import image_budget
    import stacked_mnist

    started = {}
    monkeypatch.setattr(image_budget.kept_runs, "execute",
                        lambda out, dataset, strategy, seed, arguments, resumable: started.update(
                            {(strategy, resumable): arguments}) or "")
    for cpu_minutes in (20, None):
        args = argparse.Namespace(cpu_minutes=cpu_minutes, minutes=9.0, overrides=[], out="unused")
        for strategy in stacked_mnist.STRATEGIES:
            stacked_mnist.execute(strategy, 3, args)
    for (strategy, resumable), (preset, *sets) in started.items():
        config = load_config(preset, sets[1::2])
        assert config.seed == 3 and config.generations == 1_000_000
        if strategy.endswith("_d"):  # PacGAN's networks: only E-GAN and the mixture culled on F_q evaluate children
            culled_on_f_q = strategy.startswith("mixture4_cull_") and "_cull_loss_" not in strategy
            expected = ("egan_released" if strategy.startswith("egan_released")
                        else "egan" if strategy.startswith("egan") else "quality" if culled_on_f_q else "none")
            assert config.fitness == expected, strategy
        if resumable:
            assert config.max_cpu_seconds == 1200 and config.max_seconds == 0
            assert config.log.checkpoint_every == image_budget.CHECKPOINT_EVERY
        else:
            assert config.max_seconds == 540 and config.max_cpu_seconds == 0 and config.log.checkpoint_every == 0
    assert len(started) == 2 * len(stacked_mnist.STRATEGIES)
    # the default's strategy on PacGAN's network is PacDCGAN2 with a second generator and nothing else
    def flat(strategy):
        return flat_config(config_to_dict(load_config(started[(strategy, True)][0], started[(strategy, True)][2::2])))

    mixture, pacgan2, mixture4 = flat("mixture2_half_d"), flat("pacgan2_half_d"), flat("mixture4_half_d")
    assert {key for key in mixture if mixture[key] != pacgan2[key]} == {"population_size", "selection", "update"}
    assert {key for key in mixture4 if mixture4[key] != mixture[key]} == {"population_size"}
    assert mixture["population_size"] == 2 and mixture4["population_size"] == 4
    # the culling mixture: the mixture of four, its children scored on F_q, a failed lineage replaced
    cull = flat("mixture4_cull_half_d")
    assert {key: cull[key] for key in cull if cull[key] != mixture4[key]} == {
        "fitness": "quality", "selection": "lineage_cull", "eval_batch_size": 32}
    # culled by the update's loss: nothing scored, one key changed
    cull_loss = flat("mixture4_cull_loss_half_d")
    assert {key: cull_loss[key] for key in cull_loss if cull_loss[key] != mixture4[key]} == {
        "selection": "lineage_cull_loss"}
    # D = G: the same network and loop with D at the size of G (d_scale 1), nothing else changed
    full = {size: flat(f"gan_{size}_d") for size in ("half", "full")}
    assert {key for key in full["full"] if full["full"][key] != full["half"][key]} == {"model.d_scale"}
    assert full["full"]["model.d_scale"] == 1.0 and full["half"]["model.d_scale"] == 0.5
    # PacGAN's loop on its networks: one D step, then G against the new D on the same latents
    assert pacgan2["d_steps"] == 1 and pacgan2["update"] == "same_latents" and mixture["update"] == "alternating"



def test_the_stacked_mnist_preset_is_the_measured_culling_strategy_key_for_key(monkeypatch):
    """`evogan run stacked_mnist_mixture4_cull` trains what the table reports as mixture4_cull_loss_half_d at
    20 CPU minutes, on PacGAN's network."""
    import argparse

    import stacked_mnist
    from evogan.config import PRESETS

    started = {}
    monkeypatch.setattr(stacked_mnist.image_budget.kept_runs, "execute",
                        lambda out, dataset, strategy, seed, arguments, resumable: started.update(
                            {strategy: arguments}) or "")
    args = argparse.Namespace(cpu_minutes=20, minutes=9.0, overrides=[], out="unused")
    stacked_mnist.execute("mixture4_cull_loss_half_d", 0, args)
    preset, *sets = started["mixture4_cull_loss_half_d"]
    measured = flat_config(config_to_dict(load_config(preset, sets[1::2])))
    shipped = flat_config(config_to_dict(load_config(PRESETS / "stacked_mnist_mixture4_cull.toml")))
    differ = {k: (shipped[k], measured[k]) for k in shipped if shipped[k] != measured[k] and k not in BOOKKEEPING}
    assert not differ and shipped["max_cpu_seconds"] == 1200 and shipped["selection"] == "lineage_cull_loss"


def test_every_shipped_mnist_preset_is_in_the_preset_table_under_a_cpu_budget(monkeypatch):
    """benchmarks/mnist_presets.py runs every runs/mnist*.toml (the Ray one as its in-process twin) and the single
    DCGAN under a resumable CPU budget, each with 5,000 metric samples; the DCGAN is mnist_egan with one
    non-saturating generator that evaluates nothing, and nothing else changed."""
    import argparse

    import mnist_presets

    started = {}
    monkeypatch.setattr(mnist_presets.image_budget.kept_runs, "execute",
                        lambda out, dataset, strategy, seed, arguments, resumable: started.update(
                            {strategy: (dataset, resumable, arguments)}) or "")
    args = argparse.Namespace(cpu_minutes=10, minutes=9.0, overrides=[], out="unused")
    for strategy in mnist_presets.TABLE.default_strategies:
        mnist_presets.execute(strategy, 1, args)
    shipped = {path.stem for path in (ROOT / "runs").glob("mnist*.toml")}
    assert set(started) == (shipped - set(mnist_presets.SAME_AS)) | {"dcgan"}
    assert set(mnist_presets.SAME_AS.values()) <= shipped
    configs = {}
    for strategy, (dataset, resumable, (preset, *sets)) in started.items():
        config = configs[strategy] = load_config(preset, sets[1::2])  # a CPU budget with Ray would be refused here
        assert dataset == "mnist" and resumable and config.dataset == "mnist" and config.seed == 1
        assert config.max_cpu_seconds == 600 and config.metrics.samples == 5000
    dcgan, egan = (flat_config(config_to_dict(configs[name])) for name in ("dcgan", "mnist_egan"))
    assert {key for key in dcgan if dcgan[key] != egan[key]} == {"population_size", "mutations", "fitness"}
    assert dcgan["population_size"] == 1 and dcgan["mutations"] == ["heuristic"] and dcgan["fitness"] == "none"


def test_the_sign_of_f_d_rows_differ_from_their_preset_in_the_ranking_only(monkeypatch):
    """mnist_presets.py's E-GAN sign rows under --generations: a resumable generation budget, and each differs from
    mnist_egan (ranked as E-GAN's released code) only in its fitness and (mu = 1 rows) its population size."""
    import argparse

    import mnist_presets

    started = {}
    monkeypatch.setattr(mnist_presets.image_budget.kept_runs, "execute",
                        lambda out, dataset, strategy, seed, arguments, resumable: started.update(
                            {strategy: (resumable, arguments)}) or "")
    args = argparse.Namespace(cpu_minutes=None, minutes=9.0, generations=200, overrides=[], out="unused")
    for strategy in ["mnist_egan", *mnist_presets.SIGN_OF_F_D]:
        mnist_presets.execute(strategy, 0, args)
    configs = {}
    for strategy, (resumable, (preset, *sets)) in started.items():
        configs[strategy] = flat_config(config_to_dict(load_config(preset, sets[1::2])))
        assert resumable and configs[strategy]["generations"] == 200 and configs[strategy]["max_cpu_seconds"] == 0
    preset = configs.pop("mnist_egan")
    assert preset["fitness"] == "egan_released" and preset["population_size"] == 4
    changed = {name: {key for key in preset if config[key] != preset[key]} for name, config in configs.items()}
    assert changed == {"egan_mu1": {"population_size"}, "egan_mu1_paper_sign": {"population_size", "fitness"},
                       "mnist_egan_paper_sign": {"fitness"}}
    assert configs["egan_mu1_paper_sign"]["fitness"] == configs["mnist_egan_paper_sign"]["fitness"] == "egan"


@pytest.mark.slow
def test_member_modes_splits_a_mixture_s_metric_samples_by_member(tmp_path):
    """benchmarks/member_modes.py redraws a finished run's last metric samples and labels each member's block: the
    union is the run's own mode count, and what every member covers is at most what each covers."""
    import member_modes
    from evogan import Config
    from evogan.config import ConfigError
    from evogan.runner import run

    out = run(Config(dataset="mnist", latent_dim=16, population_size=2, generations=3, batch_size=16,
                     eval_batch_size=32, model={"width": 8}, metrics={"every": 3, "samples": 300},
                     log={"progress": False, "plots": False}), tmp_path / "mixture")
    found = member_modes.member_modes(out)
    modes = json.loads((out / "metrics.json").read_text())["modes"]
    assert found["union"] == modes and len(found["members"]) == 2
    assert found["shared"] <= min(found["members"]) <= max(found["members"]) <= found["union"] <= sum(found["members"])
    assert found == member_modes.member_modes(out)  # the same latents every time
    ring = run(Config(dataset="ring", generations=1, log={"progress": False, "plots": False}), tmp_path / "ring")
    with pytest.raises(ConfigError, match="allowed: \\['mnist', 'stacked_mnist'\\]"):
        member_modes.member_modes(ring)
    assert member_modes.main([str(ring)]) == 2


def _write_finished_runs(out, runs: dict) -> None:
    """Finished Stacked MNIST run folders by hand: strategy → seed → (modes, KL, generation)."""
    for strategy, seeds in runs.items():
        for seed, (modes, kl, generation) in seeds.items():
            folder = kept_runs.run_dir(out, "stacked_mnist", strategy, seed)
            folder.mkdir(parents=True)
            (folder / "metrics.json").write_text(json.dumps({"modes": modes, "kl": kl, "generation": generation}))


def test_the_paired_report_differences_seed_by_seed_over_the_seeds_both_finished(tmp_path, capsys):
    """stacked_mnist.py --paired: each strategy minus the baseline seed by seed, only where both finished (a seed
    that one of them lacks is left out, not averaged in), with the paired interval and test."""
    import argparse

    import stacked_mnist

    out = tmp_path / "paired_out"
    runs = {"mixture4_half_d": {0: (700, 2.4, 3500), 1: (650, 2.5, 3600), 2: (800, 2.0, 3550), 3: (900, 1.0, 3000)},
            "mixture4_cull_loss_half_d": {0: (760, 1.4, 3500), 1: (690, 1.5, 3600), 2: (830, 2.0, 3550)}}
    _write_finished_runs(out, runs)
    args = argparse.Namespace(out=str(out), seeds=[0, 1, 2, 3], strategies=list(runs), paired="mixture4_half_d",
                              cpu_minutes=20, jobs=2, overrides=[])
    stacked_mnist.image_budget.report(stacked_mnist.TABLE, args)
    row = capsys.readouterr().out.strip().splitlines()[-1].split(" | ")
    # differences +60, +40, +30 modes: mean 43.3, std 15.28, se 8.82, t_{2, 0.975} 4.3027, half 37.95, t = 4.914,
    # p 0.039; KL -1.0, -1.0, 0.0: mean -0.667, se 0.333, half 1.434, t = -2.0, p 0.184
    assert row[1:] == ["0,1,2", "+43 [+5, +81]", "0.039", "-0.67 [-2.10, +0.77]", "0.184", "+0 [+0, +0] |"]


def test_the_unpaired_report_compares_every_finished_seed_with_welch(tmp_path, capsys):
    """stacked_mnist.py --against: each strategy minus the baseline over every seed each finished (seed 3 counts
    for the baseline alone), with Welch's interval and test."""
    import argparse

    import stacked_mnist

    out = tmp_path / "unpaired_out"
    runs = {"pacgan2_half_d": {0: (700, 2.4, 3500), 1: (650, 2.5, 3600), 2: (800, 2.0, 3550), 3: (900, 1.0, 3000)},
            "mixture4_cull_loss_half_d": {0: (760, 1.4, 3500), 1: (690, 1.5, 3600), 2: (830, 2.0, 3550)}}
    _write_finished_runs(out, runs)
    args = argparse.Namespace(out=str(out), seeds=[0, 1, 2, 3], strategies=list(runs), paired=None,
                              against="pacgan2_half_d", cpu_minutes=20, jobs=2, overrides=[])
    stacked_mnist.image_budget.report(stacked_mnist.TABLE, args)
    lines = capsys.readouterr().out.strip().splitlines()
    assert lines[-5].startswith("Unpaired (Welch)")
    row = lines[-1].split(" | ")
    # modes: means 760 and 762.5, variances 4900 / 3 and 12291.67 / 4, se 68.60, Welch df 4.94, t 2.580, half 177.0,
    # t = -0.036, p 0.972; KL: -0.342, se 0.3895, df 4.45, t 2.670, half 1.040, p 0.425; generations: +137.5,
    # se 141.97, df 3.26, t 3.046, half 432.4
    assert row[1:] == ["0,1,2", "-2 [-179, +174]", "0.972", "-0.34 [-1.38, +0.70]", "0.425", "+138 [-295, +570] |"]


def test_a_run_made_with_another_config_is_neither_counted_nor_replaced(tmp_path, capsys, monkeypatch):
    """A finished run whose config.toml differs from what its arguments give now (a preset edited since) in a key
    that changes what it computes is not counted as done and not rerun over; keys that only extend or observe a run
    (its budget, its logging) do not make it stale. The report leaves it out and says why."""
    import argparse

    import stacked_mnist

    from evogan.config import config_to_toml

    monkeypatch.setattr(kept_runs, "RESULTS", tmp_path / "results")  # a finished run's kept copy goes here
    out = tmp_path / "stale_out"
    args = argparse.Namespace(out=str(out), seeds=[0, 1], strategies=["gan_half_d"], paired=None, against=None,
                              cpu_minutes=20, minutes=None, generations=None, jobs=1, overrides=[])
    arguments = {seed: stacked_mnist.image_budget.arguments(stacked_mnist.TABLE, "gan_half_d", seed, args)
                 for seed in (0, 1)}
    made = {0: [], 1: ["mutations=['minimax']"]}  # seed 1 made when the preset's loss was another
    for seed, edits in made.items():
        folder = kept_runs.run_dir(out, "stacked_mnist", "gan_half_d", seed)
        folder.mkdir(parents=True)
        preset, *sets = arguments[seed]
        (folder / "config.toml").write_text(config_to_toml(load_config(preset, sets[1::2] + edits)))
        (folder / "metrics.json").write_text(json.dumps({"modes": 600 + seed, "kl": 1.5, "generation": 9000}))
    assert kept_runs.stale_keys(folder, arguments[1]) == ["mutations"]
    assert kept_runs.stale_keys(folder, arguments[1] + ["--set", "mutations=['minimax']"]) == []
    # a longer budget and other logging extend or observe the same run
    longer = arguments[0] + ["--set", "max_cpu_seconds=3600", "--set", "log.checkpoint_every=7"]
    assert kept_runs.stale_keys(kept_runs.run_dir(out, "stacked_mnist", "gan_half_d", 0), longer) == []
    assert kept_runs.stale_keys(tmp_path, arguments[0]) == []  # no config.toml: nothing to compare

    assert stacked_mnist.execute("gan_half_d", 0, args).endswith("done before")
    assert (tmp_path / "results" / "stale_out" / "stacked_mnist" / "gan_half_d" / "seed0" / "metrics.json").exists()
    refused = stacked_mnist.execute("gan_half_d", 1, args)
    assert "NOT RUN" in refused and "mutations" in refused
    assert json.loads((kept_runs.run_dir(out, "stacked_mnist", "gan_half_d", 1) / "metrics.json").read_text())[
        "modes"] == 601  # untouched
    capsys.readouterr()
    stacked_mnist.image_budget.report(stacked_mnist.TABLE, args)
    printed = capsys.readouterr().out
    assert "not counted: gan_half_d seed 1 was made with another mutations" in printed
    assert "| DCGAN, D = 1/2 G | 0 | 9000 (1 seed) | 600 (1 seed) |" in printed
