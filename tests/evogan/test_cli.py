"""The command line and the run directory, end to end on real files."""

import csv
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from evogan.cli import main
from evogan.config import PRESETS, ConfigError, load_config

ROOT = Path(__file__).resolve().parents[2]
# three loss mutations, so that operators.png (written only when there is an operator to choose) is among the files
SMALL = ["--set", "generations=4", "--set", "population_size=2", "--set", "metrics.every=2",
         "--set", "metrics.samples=400", "--set", "model.hidden=16", "--set", "batch_size=32",
         "--set", "mutations=['minimax', 'heuristic', 'least_squares']"]


def test_run_writes_the_whole_run_directory(tmp_path, capsys):
    out = tmp_path / "run"
    assert main(["run", *SMALL, "--out", str(out), "--quiet"]) == 0
    names = {p.name for p in out.iterdir()}
    assert {"config.toml", "logbook.csv", "logbook.jsonl", "metrics.json", "metrics.jsonl", "samples.npz",
            "samples.png", "fitness.png", "metrics.png", "modes.png", "operators.png"} <= names
    config = load_config(out / "config.toml")
    assert config.generations == 4 and config.population_size == 2 and config.name == "default"
    rows = list(csv.DictReader(open(out / "logbook.csv")))
    assert [int(r["gen"]) for r in rows] == [1, 2, 3, 4]
    for column in ("fitness_avg", "f_q_avg", "f_d_avg", "d_loss", "survivors", "sel_heuristic", "sel_crossover",
                   "discarded", "wall_time"):
        assert column in rows[0]
    assert all(len(r["survivors"].split()) == 2 for r in rows)
    assert len(open(out / "logbook.jsonl").read().splitlines()) == 4
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["generation"] == 4 and metrics["n_samples"] == 400 and metrics["n_modes"] == 25  # the grid
    assert 0 <= metrics["modes_covered"] <= 25
    assert {"modes_covered", "high_quality", "reverse_kl"} <= set(metrics)
    # the per-mode histogram behind modes and KL: as many counts as modes, summing to the high-quality samples
    assert len(metrics["mode_counts"]) == 25 and sum(metrics["mode_counts"]) == round(4 * metrics["high_quality"])
    history = [json.loads(line) for line in open(out / "metrics.jsonl")]
    assert [h["generation"] for h in history] == [0, 2, 4]
    assert "modes covered" in capsys.readouterr().out


def test_same_seed_same_files(tmp_path):
    for name in ("a", "b"):
        assert main(["run", *SMALL, "--out", str(tmp_path / name), "--quiet"]) == 0

    def stable(path):
        return [{k: v for k, v in json.loads(line).items() if k not in ("seconds", "wall_time")}
                for line in open(path)]

    assert stable(tmp_path / "a" / "logbook.jsonl") == stable(tmp_path / "b" / "logbook.jsonl")
    assert stable(tmp_path / "a" / "metrics.jsonl") == stable(tmp_path / "b" / "metrics.jsonl")


@pytest.mark.parametrize(
    "args, words",
    [
        (["--set", "p_cross=2"], ["p_cross", "[0.0, 1.0]"]),
        (["--set", "mutations=['heuristic','wgan']"], ["wgan", "least_squares"]),
        (["--set", "population_size=0"], ["population_size"]),
        (["--set", "nonsense=1"], ["unknown config key 'nonsense'"]),
        (["--set", "parallel.backend=dask"], ["parallel.backend", "inprocess", "ray"]),
        (["missing.toml"], ["not found"]),
    ],
)
def test_bad_input_is_one_clear_line_and_exit_2(tmp_path, capsys, args, words):
    assert main(["run", *args, "--out", str(tmp_path / "x"), "--quiet"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("evogan: error:") and "\n" not in err and "Traceback" not in err
    for word in words:
        assert word in err


def test_out_must_be_new_or_empty(tmp_path, capsys):
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "keep.txt").write_text("precious")
    assert main(["run", *SMALL, "--out", str(tmp_path / "full"), "--quiet"]) == 2
    assert "not an empty directory" in capsys.readouterr().err
    assert (tmp_path / "full" / "keep.txt").read_text() == "precious"


def test_default_run_directory_goes_under_runs_name(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    exp = tmp_path / "mine.toml"
    exp.write_text("generations = 2\npopulation_size = 1\np_cross = 0.0\n[metrics]\nsamples = 100\n")
    assert main(["run", str(exp), "--quiet"]) == 0
    (stamp,) = list((tmp_path / "runs" / "mine").iterdir())
    assert (stamp / "metrics.json").is_file()


@pytest.mark.parametrize("path", sorted(PRESETS.glob("*.toml")), ids=lambda p: p.name)
def test_every_experiment_file_is_valid(path):
    from evogan import DATASETS, Experiment

    config = load_config(path)
    assert config.dataset in DATASETS.names()
    if config.dataset in ("cifar10", "celeba", "image_folder"):  # the user supplies data.root
        with pytest.raises(ConfigError, match="data.root: .* needs a local folder"):
            Experiment(config)
    else:
        if config.parallel.backend == "ray":  # its keys are validated by loading; Ray itself is tested elsewhere
            config.parallel.backend = "inprocess"
        Experiment(config).close()  # resolves every registry name


def test_a_run_without_a_choice_of_operator_writes_no_operators_plot(tmp_path):
    """One mutation, no crossover: every survivor is the one child, so operators.png would be one solid block."""
    out = tmp_path / "single"
    assert main(["run", *SMALL, "--set", "mutations=['heuristic']", "--set", "p_cross=0.0", "--out", str(out),
                 "--quiet"]) == 0
    names = {p.name for p in out.iterdir()}
    assert {"fitness.png", "metrics.png", "modes.png"} <= names and "operators.png" not in names


def test_console_script(tmp_path):
    exe = Path(sys.executable).with_name("evogan")
    command = [str(exe)] if exe.exists() else [sys.executable, "-m", "evogan"]
    done = subprocess.run(command + ["run", *SMALL, "--set", "generations=2", "--out", str(tmp_path / "r")],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert "gen 2/2" in done.stderr and "run directory" in done.stdout
    ref = subprocess.run(command + ["config", "--reference"], capture_output=True, text=True, timeout=120)
    assert "`population_size`" in ref.stdout


def test_operator_rate_smoothing_has_no_edge_dip():
    import numpy as np

    from evogan.io.plots import _moving_average

    rate = _moving_average(np.full(50, 1.0), np.full(50, 4.0), 25)
    assert np.allclose(rate, 0.25)
    assert np.isnan(_moving_average(np.zeros(3), np.zeros(3), 5)).all()


def test_train_classifier_command_writes_a_loadable_file(tmp_path, capsys):
    from evogan.models import load_classifier

    out = tmp_path / "clf.pt"
    assert main(["train-classifier", "--out", str(out), "--epochs", "1"]) == 0
    printed = capsys.readouterr().out
    assert "held-out accuracy" in printed and str(out) in printed
    load_classifier(out)
    assert main(["train-classifier", "--out", str(out), "--epochs", "0"]) == 2
    assert "--epochs: 0 is out of range" in capsys.readouterr().err


def test_a_config_typo_answers_before_torch_is_imported_and_suggests_the_key():
    code = ("import sys\nfrom evogan.cli import main\nrc = main(['run', '--set', 'populaton_size=3'])\n"
            "print(rc, 'torch' in sys.modules, 'ray' in sys.modules)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    assert done.stdout.split() == ["2", "False", "False"], done.stderr
    assert "unknown config key 'populaton_size'; did you mean 'population_size'?" in done.stderr
    version = subprocess.run([sys.executable, "-m", "evogan", "--version"], capture_output=True, text=True, cwd=ROOT)
    assert version.returncode == 0 and version.stdout.startswith("evogan ")


def test_presets_run_by_name_from_anywhere_and_unknown_names_get_a_suggestion(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)  # not a clone: the presets come with the package
    by_name = load_config("grid_egan_pack2")
    assert by_name == load_config(PRESETS / "grid_egan_pack2.toml") and by_name.pack == 2
    assert load_config("grid_egan_pack2.toml") == by_name == load_config("runs/grid_egan_pack2.toml")
    with pytest.raises(ConfigError, match="config file not found: grid_egan_pak2; did you mean the preset 'grid_egan_pack2'"):
        load_config("grid_egan_pak2")
    with pytest.raises(ConfigError, match="evogan config --presets"):
        load_config("nothing_like_it")
    with pytest.raises(ConfigError, match="config file not found: elsewhere/ring_gan.toml;"):
        load_config("elsewhere/ring_gan.toml")  # a path elsewhere is a path, never silently a preset
    assert main(["config", "--presets"]) == 0
    listed = capsys.readouterr().out
    assert all(f"\n{path.stem} " in "\n" + listed for path in PRESETS.glob("*.toml"))
    assert "Single-loss GAN baseline on the ring" in listed


@pytest.mark.slow  # a subprocess
def test_warnings_are_one_line_each_unless_asked_for_in_full(tmp_path):
    command = [sys.executable, "-m", "evogan", "run", "--set", "generations=2", "--set", "population_size=1",
               "--set", "p_cross=0.5", "--set", "model.hidden=8", "--quiet"]
    env = {k: v for k, v in os.environ.items() if k != "EVOGAN_WARNINGS"}
    done = subprocess.run(command + ["--out", str(tmp_path / "a")], capture_output=True, text=True, timeout=120,
                          env=env)
    assert done.returncode == 0, done.stderr
    lines = [line for line in done.stderr.splitlines() if "p_cross" in line]
    assert lines == ["evogan: warning: p_cross > 0 with population_size = 1: the on-the-fly crossover draws the donor "
                     "from a population of one, so it never changes anything"]
    assert "UserWarning" not in done.stderr and "build_strategy(" not in done.stderr
    full = subprocess.run(command + ["--out", str(tmp_path / "b")], capture_output=True, text=True, timeout=120,
                          env={**env, "EVOGAN_WARNINGS": "full"})
    assert "UserWarning: p_cross > 0" in full.stderr
