"""Exact checkpoints: SIGKILL at random moments then --resume gives the uninterrupted run; damaged files fall back;
Ctrl-C checkpoints; a full disk never leaves a half-written checkpoint."""

from __future__ import annotations

import json
import os
import random
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch

from evogan import Config, ConfigError
from evogan.checkpoint import load_latest_checkpoint, save_checkpoint
from evogan.runner import resume, run

pytestmark = pytest.mark.timeout(300)
ROOT = Path(__file__).resolve().parents[2]
CLI = ["--set", "population_size=2", "--set", "model.hidden=16", "--set", "model.g_layers=2", "--set", "model.d_layers=2",
       "--set", "batch_size=32", "--set", "eval_batch_size=64", "--set", "metrics.samples=300", "--set", "metrics.every=40",
       "--set", "log.plots=false", "--set", "log.checkpoint_every=10", "--set", "log.checkpoint_keep=3", "--quiet"]


def stable(run_dir: Path):
    """A run's logbook, metric history and final metrics without wall-clock fields."""
    drop = ("seconds", "wall_time", "first_all_modes_wall_time")
    rows = [json.loads(line) for line in open(run_dir / "logbook.jsonl")]
    history = [json.loads(line) for line in open(run_dir / "metrics.jsonl")]
    final = json.loads((run_dir / "metrics.json").read_text())
    clean = lambda d: {k: v for k, v in d.items() if k not in drop}  # noqa: E731
    return [clean(r) for r in rows], [clean(h) for h in history], clean(final)


def evogan(*args) -> list[str]:
    exe = Path(sys.executable).with_name("evogan")
    return ([str(exe)] if exe.exists() else [sys.executable, "-m", "evogan"]) + list(args)


def wait_for_checkpoint(folder: Path, proc: subprocess.Popen, newer_than: set) -> bool:
    while proc.poll() is None:
        if folder.is_dir() and set(p.name for p in folder.glob("gen*.pt")) - newer_than:
            return True
        time.sleep(0.05)
    return False


def test_sigkill_at_random_moments_then_resume_gives_the_uninterrupted_run(tmp_path):
    settings = ["--set", "generations=240", *CLI]
    reference = tmp_path / "reference"
    done = subprocess.run(evogan("run", *settings, "--out", str(reference)), capture_output=True, text=True, cwd=ROOT)
    assert done.returncode == 0, done.stderr
    killed = tmp_path / "killed"
    chooser = random.Random(7)
    proc = subprocess.Popen(evogan("run", *settings, "--out", str(killed)), cwd=ROOT,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    kills = 0
    for _ in range(3):  # kill the first run, then twice a resumed one, each at a random moment after a checkpoint
        seen = set(p.name for p in (killed / "checkpoints").glob("gen*.pt"))
        if not wait_for_checkpoint(killed / "checkpoints", proc, seen):
            break  # it finished first
        time.sleep(chooser.uniform(0.0, 0.4))
        if proc.poll() is None:
            proc.send_signal(signal.SIGKILL)
            proc.wait()
            kills += 1
        proc = subprocess.Popen(evogan("run", "--resume", str(killed), "--quiet"), cwd=ROOT,
                                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    _, err = proc.communicate(timeout=240)
    assert proc.returncode == 0, err
    assert kills >= 2
    assert stable(killed) == stable(reference)


def small(**extra) -> Config:
    base = dict(generations=12, population_size=2, batch_size=32, eval_batch_size=64,
                model={"hidden": 16, "g_layers": 2, "d_layers": 2}, metrics={"every": 4, "samples": 300},
                log={"progress": False, "plots": False, "checkpoint_every": 4, "checkpoint_keep": 3})
    base.update(extra)
    return Config(**base)


def crash_after(run_dir: Path, generation: int, into: Path) -> Path:
    """A copy of a finished run as if it had died right after ``generation``'s checkpoint."""
    shutil.copytree(run_dir, into)
    for path in (into / "checkpoints").glob("gen*.pt"):
        if int(path.stem[3:]) > generation:
            path.unlink()
    (into / "metrics.json").unlink()
    return into


@pytest.mark.parametrize(
    "extra",
    [
        {},
        {"adversary": "began_v3", "mutations": ["began", "began+entropy"]},
        {"dataset": "grid", "lr_d": 5e-3, "dyngan": {"enabled": True, "every": 3, "tau": 0.01, "delta": 0.8, "pool": 300}},
        {"parallel": {"backend": "vectorized"}},
        {"schedule": {"g": "cosine", "d": "linear", "final": 0.05, "warmup": 2}, "pack": 2,
         "model": {"hidden": 16, "g_layers": 2, "d_layers": 2, "g_norm": "batch", "d_activation": "maxout"}},
    ],
    ids=["egan", "began_v3", "dyngan", "vectorized", "schedule-pack-pacgan-nets"],
)
def test_resume_restores_every_kind_of_state_exactly(tmp_path, extra):
    reference = run(small(**extra), tmp_path / "a")
    resumed = resume(crash_after(reference, 4, tmp_path / "b"), progress=False)
    assert stable(resumed) == stable(reference)
    state, _ = load_latest_checkpoint(resumed / "checkpoints")
    assert state["generation"] == 12
    if "dyngan" in extra:
        assert len(state["experiment"]["niches"]["others"]) >= 1  # the resumed part had niches to restore


def test_a_truncated_checkpoint_falls_back_to_the_previous_one(tmp_path):
    reference = run(small(), tmp_path / "a")
    broken = crash_after(reference, 8, tmp_path / "b")
    newest = broken / "checkpoints" / "gen00000008.pt"
    newest.write_bytes(newest.read_bytes()[: newest.stat().st_size // 2])
    with pytest.warns(RuntimeWarning, match="gen00000008.pt is damaged .* trying the previous one"):
        state, path = load_latest_checkpoint(broken / "checkpoints")
    assert path.name == "gen00000004.pt" and state["generation"] == 4
    with pytest.warns(RuntimeWarning, match="damaged"):
        resume(broken, progress=False)
    assert stable(broken) == stable(reference)


def test_vectorised_children_are_saved_alone_not_with_their_whole_generation(tmp_path):
    """A vectorised child is a slice of its generation's stacked tensors; torch.save would write them all."""
    sizes = {}
    for backend in ("inprocess", "vectorized"):
        run_dir = run(small(generations=4, population_size=4, parallel={"backend": backend}), tmp_path / backend)
        sizes[backend] = (run_dir / "checkpoints" / "gen00000004.pt").stat().st_size
    assert sizes["vectorized"] == pytest.approx(sizes["inprocess"], rel=0.02)  # 12 children made, 4 kept


def test_checkpoints_load_with_weights_only_and_hold_plain_data(tmp_path):
    run_dir = run(small(generations=4), tmp_path / "a")
    state = torch.load(run_dir / "checkpoints" / "gen00000004.pt", weights_only=True)
    assert state["generation"] == 4 and len(state["experiment"]["population"]) == 2
    assert set(state["runner"]) == {"history", "rows", "wall", "snapshots"}


def test_a_full_disk_leaves_no_half_written_checkpoint_and_keeps_the_old_one(tmp_path, monkeypatch):
    folder = tmp_path / "checkpoints"
    save_checkpoint(folder, 1, {"generation": 1, "x": torch.zeros(3)})

    def no_space(obj, file):
        file.write(b"partial")
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(torch, "save", no_space)
    with pytest.raises(OSError, match="cannot write the checkpoint .*gen00000002.pt: No space left on device"):
        save_checkpoint(folder, 2, {"generation": 2})
    assert sorted(p.name for p in folder.iterdir()) == ["gen00000001.pt"]
    assert load_latest_checkpoint(folder)[0]["generation"] == 1


def test_ctrl_c_finishes_the_generation_writes_a_checkpoint_and_resume_completes(tmp_path):
    settings = ["--set", "generations=400", *CLI, "--set", "log.checkpoint_every=1000"]
    reference = tmp_path / "reference"
    assert subprocess.run(evogan("run", *settings, "--out", str(reference)), capture_output=True, cwd=ROOT).returncode == 0
    out = tmp_path / "interrupted"
    proc = subprocess.Popen(evogan("run", *settings, "--out", str(out)), cwd=ROOT, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    while proc.poll() is None and not (out / "logbook.jsonl").is_file():
        time.sleep(0.05)
    while proc.poll() is None and (out / "logbook.jsonl").stat().st_size < 2000:  # a few generations in
        time.sleep(0.05)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 130 and "stopping after this generation" in err and "interrupted" in err
    (checkpoint,) = (out / "checkpoints").glob("gen*.pt")  # written on Ctrl-C (no periodic one before 1000)
    rows = (out / "logbook.jsonl").read_text().splitlines()
    assert int(checkpoint.stem[3:]) == json.loads(rows[-1])["gen"] < 400
    done = subprocess.run(evogan("run", "--resume", str(out), "--quiet"), capture_output=True, text=True, cwd=ROOT)
    assert done.returncode == 0, done.stderr
    assert stable(out) == stable(reference)


def test_resume_errors_are_one_clear_line(tmp_path):
    with pytest.raises(ConfigError, match="not a run directory"):
        resume(tmp_path)
    (tmp_path / "config.toml").write_text("generations = 3\n")
    with pytest.raises(ConfigError, match="no checkpoint in"):
        resume(tmp_path)
    done = subprocess.run(evogan("run", "runs/ring_egan.toml", "--resume", str(tmp_path)), capture_output=True,
                          text=True, cwd=ROOT)
    assert done.returncode == 2 and "drop CONFIG, --set and --out" in done.stderr


def test_an_unwritable_output_directory_is_a_clear_error_before_training(tmp_path):
    if os.geteuid() == 0:
        locked = Path("/proc/evogan-test")  # root may write anywhere else
    else:
        locked = tmp_path / "locked"
        locked.mkdir()
        locked.chmod(0o500)
    done = subprocess.run(evogan("run", *CLI, "--out", str(locked / "run")), capture_output=True, text=True, cwd=ROOT)
    assert done.returncode == 2 and "cannot write the run directory" in done.stderr and "Traceback" not in done.stderr


def test_too_little_disk_space_is_a_clear_error_before_training(tmp_path, monkeypatch):
    import shutil as shutil_module
    from collections import namedtuple

    usage = namedtuple("usage", "total used free")
    monkeypatch.setattr(shutil_module, "disk_usage", lambda path: usage(10**9, 10**9 - 1000, 1000))
    with pytest.raises(ConfigError, match="not enough free disk space .* checkpoints need about .* MB free"):
        run(small(), tmp_path / "a")
    assert not (tmp_path / "a" / "logbook.csv").exists()  # nothing started
