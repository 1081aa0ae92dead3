"""Hostile names and inputs: TeX-like strategy names, Markdown in names, absurd seed counts, deeply nested TOML,
plugins that exit, logs on a full disk, checkpoints holding NaN weights."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from evogan import ConfigError
from evogan.io.checkpoint import DamagedCheckpoint, check_fits, experiment_state
from evogan.compare import compare
from evogan.compare._report import _markdown
from evogan.config import load_config
from evogan.experiment import Experiment
from evogan.io.logfiles import AppendLog, LogWriter
from evogan.plugins import load_plugins

pytestmark = pytest.mark.timeout(300)
ROOT = Path(__file__).resolve().parents[2]
TINY = ["generations=4", "population_size=1", "batch_size=32", "eval_batch_size=32", "model.hidden=8",
        "model.g_layers=2", "model.d_layers=2", "metrics.every=2", "metrics.samples=200", "log.plots=true", "p_cross=0.0"]


def test_a_tex_like_strategy_name_is_plotted_and_summarised_literally(tmp_path):
    """``a$^$b`` made matplotlib's mathtext fail after every run had finished; ``|`` and ``<`` broke summary.md."""
    strategy = tmp_path / "a$^$b|<i>.toml"
    strategy.write_text("\n".join(TINY) + "\n")
    baseline = tmp_path / "plain.toml"
    baseline.write_text("\n".join(TINY) + "\n")
    result = compare([str(baseline), str(strategy)], seeds=1, out=tmp_path / "cmp")
    assert all(p.is_file() and p.stat().st_size > 1000 for p in result.figures)
    assert (result.runs["a$^$b|<i>"][0] / "operators.png").is_file()  # the run's own plots too
    summary = (tmp_path / "cmp" / "summary.md").read_text()
    assert r"a\$^\$b\|\<i\>" in summary and "a$^$b" not in summary
    results = summary.split("## ")[1].splitlines()  # the first table: one column per metric
    head, rows = results[2], [line for line in results if line.startswith("| a")]
    assert rows and all(row.replace(r"\|", "").count("|") == head.count("|") for row in rows)  # no extra columns
    assert "a$^$b|&lt;i&gt;" in result.report.read_text()  # the HTML report escapes as HTML


def test_markdown_escaping_by_hand():
    assert _markdown("ring_egan__p_cross=0.25") == "ring_egan__p_cross=0.25"  # intra-word _ is literal
    assert _markdown("_x_ *y* [l](u) `c`") == r"\_x\_ \*y\* \[l\](u) \`c\`"
    assert _markdown("a|b") == r"a\|b" and _markdown("<script>") == r"\<script\>"


@pytest.mark.parametrize("seeds", [0, 10_001, 1_000_000_000])
def test_absurd_seed_counts_are_one_line_before_any_work(tmp_path, seeds):
    with pytest.raises(ConfigError, match=rf"--seeds: {seeds} is out of range; allowed: 1\.\.10000"):
        compare([None], seeds=seeds, out=tmp_path / "cmp")
    assert not (tmp_path / "cmp").exists() or not any((tmp_path / "cmp").iterdir())


def test_a_deeply_nested_toml_is_one_line(tmp_path):
    path = tmp_path / "deep.toml"
    path.write_text("a = " + "[" * 500 + "]" * 500 + "\n")
    with pytest.raises(ConfigError, match="deep.toml: nested too deeply"):
        load_config(path)
    with pytest.raises(ConfigError, match="--set lr_g: the value is nested too deeply"):
        load_config(None, ["lr_g=" + "[" * 2000 + "]" * 2000])


def test_a_plugin_that_calls_sys_exit_is_one_line(tmp_path):
    plugin = tmp_path / "exits.py"
    plugin.write_text("import sys\nsys.exit(3)\n")
    with pytest.raises(ConfigError, match=r"importing '.*exits.py' called sys.exit\(3\)"):
        load_plugins([str(plugin)])
    done = subprocess.run([sys.executable, "-m", "evogan", "run", "--import", str(plugin), "--set", "generations=1",
                           "--out", str(tmp_path / "run")], capture_output=True, text=True, cwd=ROOT)
    assert done.returncode == 2 and "called sys.exit(3)" in done.stderr and "Traceback" not in done.stderr


def test_a_log_append_is_whole_or_absent_and_a_failure_names_the_file(tmp_path, monkeypatch):
    """A full disk mid-record: the record is cut back, the other log is cut back too, and the error names the file."""
    writer = LogWriter(tmp_path, [{"gen": 1, "loss": 0.5}])
    real_write = os.write

    def short_write(fd, data):  # what a disk that fills up mid-record does: part of the bytes, then ENOSPC
        real_write(fd, data[: len(data) // 2])
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "write", short_write)
    with pytest.raises(OSError, match=r"cannot append to the log .*logbook.jsonl: No space left on device"):
        writer.write({"gen": 2, "loss": 0.25})
    monkeypatch.setattr(os, "write", real_write)
    calls = []

    def csv_fails(fd, data):
        calls.append(fd)
        if fd == writer.csv_log.fd:
            raise OSError(28, "No space left on device")
        return real_write(fd, data)

    monkeypatch.setattr(os, "write", csv_fails)
    with pytest.raises(OSError, match=r"logbook.csv: No space left"):
        writer.write({"gen": 2, "loss": 0.25})
    monkeypatch.setattr(os, "write", real_write)
    writer.write({"gen": 2, "loss": 0.25})
    writer.close()
    assert [json.loads(line) for line in (tmp_path / "logbook.jsonl").read_text().splitlines()] == [
        {"gen": 1, "loss": 0.5}, {"gen": 2, "loss": 0.25}]
    assert (tmp_path / "logbook.csv").read_text().splitlines() == ["gen,loss", "1,0.5", "2,0.25"]
    log = AppendLog(tmp_path / "logbook.jsonl", fresh=False)  # appending to what is there keeps it
    log.append("{}\n")
    log.close()
    assert (tmp_path / "logbook.jsonl").read_text().count("\n") == 3


def test_a_checkpoint_with_nan_weights_does_not_fit(small_config):
    experiment = Experiment(small_config)
    state = experiment_state(experiment)
    check_fits(experiment, state)
    name = next(iter(state["population"][1]["weights"]))
    state["population"][1]["weights"][name] = torch.full_like(state["population"][1]["weights"][name], float("nan"))
    with pytest.raises(DamagedCheckpoint, match=rf"population\[1\].weights.{name} holds NaN or infinite values"):
        check_fits(experiment, state)


def test_a_resume_passes_over_a_checkpoint_with_nan_weights_to_the_sound_one_before(tmp_path):
    """Before, a NaN checkpoint was resumed, the run diverged at once and the message named that same checkpoint as
    the good one "from before it"; now it does not fit, and the resume ends as the uninterrupted run does."""
    from evogan.io.checkpoint import read_checkpoint, save_checkpoint
    from evogan.runner import resume, run

    config = load_config(None, TINY + ["generations=6", "log.checkpoint_every=2", "log.plots=false"])
    run(config, tmp_path / "whole", progress=False)
    run(config, tmp_path / "run", progress=False)
    folder = tmp_path / "run" / "checkpoints"
    newest = sorted(folder.glob("gen*.pt"))[-1]
    state = read_checkpoint(newest)
    weights = state["experiment"]["population"][0]["weights"]
    name = next(iter(weights))
    weights[name] = torch.full_like(weights[name], float("nan"))
    save_checkpoint(folder, state["generation"], state, keep=5)
    (tmp_path / "run" / "metrics.json").unlink()
    with pytest.warns(RuntimeWarning, match=rf"{newest.name} does not fit this run .*holds NaN or infinite values"):
        resume(tmp_path / "run", progress=False)
    final = lambda d: {k: v for k, v in json.loads((d / "metrics.json").read_text()).items()  # noqa: E731
                       if "time" not in k}
    assert final(tmp_path / "run") == final(tmp_path / "whole")
