"""Exact checkpoints: SIGKILL at random moments then --resume gives the uninterrupted run; damaged files fall back;
Ctrl-C checkpoints; a full disk never leaves a half-written checkpoint."""

from __future__ import annotations

import errno
import hashlib
import io
import json
import re
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
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from evogan import Config, ConfigError
from evogan.io.checkpoint import HEADER, DamagedCheckpoint, _tensors, load_latest_checkpoint, read_checkpoint, save_checkpoint
from evogan.runner import resume, run

pytestmark = pytest.mark.timeout(300)
ROOT = Path(__file__).resolve().parents[3]
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
        {"genes": {"lr_sigma": 0.3}, "schedule": {"g": "cosine"}},
    ],
    ids=["egan", "began_v3", "dyngan", "vectorized", "schedule-pack-pacgan-nets", "self-adaptive-lr"],
)
def test_resume_restores_every_kind_of_state_exactly(tmp_path, extra):
    reference = run(small(**extra), tmp_path / "a")
    resumed = resume(crash_after(reference, 4, tmp_path / "b"), progress=False)
    assert stable(resumed) == stable(reference)
    state, _ = load_latest_checkpoint(resumed / "checkpoints")
    assert state["generation"] == 12
    if "dyngan" in extra:
        assert len(state["experiment"]["niches"]["others"]) >= 1  # the resumed part had niches to restore
    if "genes" in extra:
        assert all("genes" in member["lineage"] for member in state["experiment"]["population"])


def test_a_truncated_checkpoint_falls_back_to_the_previous_one(tmp_path):
    reference = run(small(), tmp_path / "a")
    broken = crash_after(reference, 8, tmp_path / "b")
    newest = broken / "checkpoints" / "gen00000008.pt"
    newest.write_bytes(newest.read_bytes()[: newest.stat().st_size // 2])
    with pytest.warns(RuntimeWarning, match="gen00000008.pt is damaged .* trying the previous one"):
        state, path = load_latest_checkpoint(broken / "checkpoints")
    assert path.name == "gen00000004.pt" and state["generation"] == 4
    assert (broken / "checkpoints" / "gen00000008.pt.damaged").is_file()  # set aside: not tried again
    resume(broken, progress=False)
    assert stable(broken) == stable(reference)


def test_vectorised_children_are_saved_alone_not_with_their_whole_generation(tmp_path):
    """A vectorised child is a slice of its generation's stacked tensors; torch.save would write them all."""
    sizes = {}
    for backend in ("inprocess", "vectorized"):
        run_dir = run(small(generations=4, population_size=4, parallel={"backend": backend}), tmp_path / backend)
        sizes[backend] = (run_dir / "checkpoints" / "gen00000004.pt").stat().st_size
    assert sizes["vectorized"] == pytest.approx(sizes["inprocess"], rel=0.02)  # 12 children made, 4 kept


def test_checkpoints_carry_a_digest_and_load_with_weights_only_as_plain_data(tmp_path):
    run_dir = run(small(generations=4), tmp_path / "a")
    data = (run_dir / "checkpoints" / "gen00000004.pt").read_bytes()
    assert data.startswith(HEADER)
    payload = data[len(HEADER) + 32:]
    assert hashlib.sha256(payload).digest() == data[len(HEADER):len(HEADER) + 32]
    state = torch.load(io.BytesIO(payload), weights_only=True)
    assert read_checkpoint(run_dir / "checkpoints" / "gen00000004.pt")["generation"] == 4
    assert state["generation"] == 4 and len(state["experiment"]["population"]) == 2
    assert set(state["runner"]) == {"history", "rows", "wall", "cpu", "snapshots"} and state["batches"] == "packs"


def test_a_full_disk_leaves_no_half_written_checkpoint_and_keeps_the_old_one(tmp_path, monkeypatch):
    folder = tmp_path / "checkpoints"
    save_checkpoint(folder, 1, {"generation": 1, "x": torch.zeros(3)})

    class FullDisk(io.FileIO):  # the OS refuses the write after a few bytes, as a full disk does
        def write(self, data):
            if self.tell() > 10:
                raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
            return super().write(data[:11])

    monkeypatch.setattr("evogan.io.checkpoint.open", lambda path, mode: FullDisk(path, "w"), raising=False)
    with pytest.raises(OSError, match="cannot write the checkpoint .*gen00000002.pt: No space left on device"):
        save_checkpoint(folder, 2, {"generation": 2})
    assert sorted(p.name for p in folder.iterdir()) == ["gen00000001.pt"]
    assert load_latest_checkpoint(folder)[0]["generation"] == 1


def test_a_file_size_limit_while_checkpointing_is_one_line_and_a_non_zero_exit(tmp_path):
    """RLIMIT_FSIZE makes the kernel refuse the checkpoint's bytes (EFBIG), as a full disk or a quota would."""
    import resource

    def limit():
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # the write fails with EFBIG instead of killing the process
        resource.setrlimit(resource.RLIMIT_FSIZE, (60_000, 60_000))

    out = tmp_path / "run"
    done = subprocess.run(evogan("run", "--set", "generations=30", *CLI, "--out", str(out)), capture_output=True,
                          text=True, cwd=ROOT, preexec_fn=limit)
    assert done.returncode == 1, done.stderr
    assert "cannot write the checkpoint" in done.stderr and "File too large" in done.stderr
    assert "Traceback" not in done.stderr and len(done.stderr.strip().splitlines()) == 1
    assert not list((out / "checkpoints").glob("*.tmp")) and not list((out / "checkpoints").glob(".*"))


def flip(path: Path, offsets, mask: int = 0xFF) -> None:
    data = bytearray(path.read_bytes())
    for offset in offsets:
        data[offset] ^= mask
    path.write_bytes(bytes(data))


@pytest.mark.parametrize("span", [1, 16])
def test_flipped_bytes_inside_the_tensor_data_are_detected_and_resume_falls_back(tmp_path, span):
    reference = run(small(), tmp_path / "a")
    broken = crash_after(reference, 8, tmp_path / "b")
    newest = broken / "checkpoints" / "gen00000008.pt"
    middle = newest.stat().st_size // 2
    flip(newest, range(middle, middle + span))
    with pytest.warns(RuntimeWarning, match="gen00000008.pt is damaged .*SHA-256"):
        resume(broken, progress=False)
    assert stable(broken) == stable(reference)
    assert (broken / "checkpoints" / "gen00000008.pt.damaged").is_file()  # kept for inspection, never counted


def test_pruning_after_a_fallback_keeps_the_valid_checkpoints_even_with_keep_1(tmp_path):
    reference = run(small(log={"progress": False, "plots": False, "checkpoint_every": 4, "checkpoint_keep": 3}),
                    tmp_path / "a")
    broken = crash_after(reference, 8, tmp_path / "b")
    config = (broken / "config.toml").read_text().replace("checkpoint_keep = 3", "checkpoint_keep = 1")
    (broken / "config.toml").write_text(config.replace("checkpoint_every = 4", "checkpoint_every = 2"))
    flip(broken / "checkpoints" / "gen00000008.pt", [500])
    with pytest.warns(RuntimeWarning, match="damaged"):
        resume(broken, progress=False)  # from gen 4; the damaged gen 8 must not outrank the new gen 6, 8, ...
    assert [p.name for p in (broken / "checkpoints").glob("gen*.pt")] == ["gen00000012.pt"]
    assert read_checkpoint(broken / "checkpoints" / "gen00000012.pt")["generation"] == 12


def test_a_checkpoint_that_does_not_fit_the_networks_is_damaged_not_a_traceback(tmp_path):
    reference = run(small(), tmp_path / "a")
    broken = crash_after(reference, 8, tmp_path / "b")
    newest = broken / "checkpoints" / "gen00000008.pt"
    state = read_checkpoint(newest)
    weights = state["experiment"]["population"][0]["weights"]
    name = next(iter(weights))
    weights[name] = torch.zeros(weights[name].shape[0] + 1, *weights[name].shape[1:])
    newest.unlink()
    save_checkpoint(newest.parent, 8, state, keep=5)  # a sound file of the wrong shape
    with pytest.warns(RuntimeWarning, match=r"gen00000008.pt does not fit this run \(population\[0\].weights.* "
                                            r"the run's network"):
        resume(broken, progress=False)
    assert stable(broken) == stable(reference)


def test_a_fifo_named_like_a_checkpoint_is_skipped_not_waited_on(tmp_path):
    reference = run(small(), tmp_path / "a")
    broken = crash_after(reference, 8, tmp_path / "b")
    os.mkfifo(broken / "checkpoints" / "gen00000010.pt")
    with pytest.warns(RuntimeWarning, match="gen00000010.pt is damaged .not a regular file"):
        resume(broken, progress=False)
    assert stable(broken) == stable(reference)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_random_byte_flips_anywhere_never_resume_silently_from_a_changed_file(tmp_path_factory, data):
    folder = tmp_path_factory.mktemp("flips")
    state = {"generation": 3, "experiment": {"w": torch.arange(64, dtype=torch.float32)}, "runner": {"rows": [1, 2]}}
    path = save_checkpoint(folder, 3, state)
    size = path.stat().st_size
    offsets = data.draw(st.lists(st.integers(0, size - 1), min_size=1, max_size=8, unique=True))
    flip(path, offsets, data.draw(st.integers(1, 255)))
    try:
        loaded = read_checkpoint(path)
    except DamagedCheckpoint:
        return
    raise AssertionError(f"a changed file loaded silently: {loaded}")


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
    stopped = json.loads(rows[-1])["gen"]
    assert int(checkpoint.stem[3:]) == stopped < 400
    assert f"resume with: evogan run --resume {out}" in err
    interim = json.loads((out / "metrics.json").read_text())  # the metrics of the moment, marked as not finished
    assert interim["interrupted"] is True and interim["generation"] == stopped and 0 <= interim["high_quality"] <= 100
    done = subprocess.run(evogan("run", "--resume", str(out), "--quiet"), capture_output=True, text=True, cwd=ROOT)
    assert done.returncode == 0, done.stderr
    assert stable(out) == stable(reference)


def test_resume_errors_are_one_clear_line(tmp_path):
    with pytest.raises(ConfigError, match="not a run directory"):
        resume(tmp_path)
    (tmp_path / "config.toml").write_text("generations = 3\n")
    with pytest.raises(ConfigError, match="no checkpoint in"):
        resume(tmp_path)
    done = subprocess.run(evogan("run", "ring_egan", "--resume", str(tmp_path)), capture_output=True,
                          text=True, cwd=ROOT)
    assert done.returncode == 2 and "drop CONFIG and --out" in done.stderr


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


def test_a_diverged_discriminator_stops_the_run_with_one_line_and_a_checkpoint_from_before(tmp_path):
    """lr_d jumps to 2e12 at generation 8 (a step schedule): D's weights blow up (astronomically large, or NaN) and
    every child is invalid from then on; without the checks the run went on for ever."""
    out = tmp_path / "run"
    done = subprocess.run(evogan("run", "--set", "generations=200", "--set", "lr_d=2e-4", "--set", "schedule.d=step",
                                 "--set", "schedule.milestones=[8]", "--set", "schedule.factor=1e16", *CLI, "--set",
                                 "log.checkpoint_every=1", "--out", str(out)),
                          capture_output=True, text=True, cwd=ROOT, timeout=240)
    assert done.returncode == 1, done.stderr
    line = done.stderr.strip().splitlines()[-1]
    assert "Traceback" not in done.stderr
    match = re.search(r"generations? (\d+)(-\d+)?: (the discriminator's (loss is -?(nan|inf)|weights are no longer "
                      r"finite)|every child was invalid .* 3 generations in a row).*training diverged.*"
                      r"the newest checkpoint, .*gen(\d{8})\.pt, is from before it", line)
    assert match, line
    since, newest = int(match.group(1)), int(match.group(6))
    assert 7 <= newest < since and 8 <= since <= 12
    rows = [json.loads(row) for row in (out / "logbook.jsonl").read_text().splitlines()]
    assert all(row["discarded"] < row["nevals"] for row in rows if row["gen"] <= newest)  # it was sound then
    state = read_checkpoint(out / "checkpoints" / f"gen{newest:08d}.pt")["experiment"]
    weights = [t for _, t in _tensors(state["adversary"]["discriminator"])]
    assert weights and all(bool(torch.isfinite(t).all()) for t in weights)


def test_resume_refuses_a_config_changed_in_keys_that_change_the_run(tmp_path):
    reference = run(small(), tmp_path / "a")
    broken = crash_after(reference, 8, tmp_path / "b")
    original = (broken / "config.toml").read_text()
    (broken / "config.toml").write_text(original.replace('dataset = "ring"', 'dataset = "grid"'))
    with pytest.raises(ConfigError, match=r"differs from the checkpoint's run .*dataset: 'ring' -> 'grid'"):
        resume(broken, progress=False)
    (broken / "config.toml").write_text(original)
    with pytest.raises(ConfigError, match=r"seed: 0 -> 5"):
        resume(broken, ["seed=5"], progress=False)
    done = subprocess.run(evogan("run", "--resume", str(broken), "--set", "model.hidden=32", "--quiet"),
                          capture_output=True, text=True, cwd=ROOT)
    assert done.returncode == 2 and "model.hidden: 16 -> 32" in done.stderr and "Traceback" not in done.stderr
    assert (broken / "config.toml").read_text() == original  # a refused resume changes nothing
    resume(broken, progress=False)
    assert stable(broken) == stable(reference)


def test_a_checkpoint_of_an_older_evogan_without_the_keys_added_since_resumes(tmp_path):
    reference = run(small(), tmp_path / "a")
    broken = crash_after(reference, 8, tmp_path / "b")
    for path in (broken / "checkpoints").glob("gen*.pt"):  # as written before islands.policy and .asynchronous existed
        state = read_checkpoint(path)
        for key in ("policy", "asynchronous"):
            del state["config"]["islands"][key]
        path.unlink()
        save_checkpoint(path.parent, state["generation"], state)
    config = (broken / "config.toml").read_text()
    (broken / "config.toml").write_text(re.sub(r"(?m)^(policy|asynchronous) = .*\n", "", config))
    with pytest.raises(ConfigError, match=r"islands.policy: .* -> 'neighbourhood'"):
        resume(broken, ["islands.policy='neighbourhood'"], progress=False)  # a new key away from its default
    resume(broken, progress=False)  # at their defaults the new keys change nothing
    assert stable(broken) == stable(reference)


def test_resume_with_more_generations_extends_a_finished_run_exactly(tmp_path):
    longer = run(small(generations=16), tmp_path / "long")
    shorter = run(small(generations=12), tmp_path / "short")
    done = subprocess.run(evogan("run", "--resume", str(shorter), "--set", "generations=16", "--set",
                                 "metrics.every=4", "--quiet"), capture_output=True, text=True, cwd=ROOT)
    assert done.returncode == 0, done.stderr
    assert stable(shorter) == stable(longer)
    assert "generations = 16" in (shorter / "config.toml").read_text()


def _wait_for_lock(folder: Path, process, seconds: float = 120.0) -> None:
    """Until ``process`` holds ``folder``'s lock (its id written in .lock) and has written a checkpoint."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        lock = folder / ".lock"
        if (lock.is_file() and f"process {process.pid}" in lock.read_text()
                and any((folder / "checkpoints").glob("gen*.pt"))):
            return
        assert process.poll() is None, process.communicate()
        time.sleep(0.05)
    raise AssertionError("the first process never took the lock")


@pytest.mark.slow
def test_a_second_process_on_a_running_folder_is_one_line_and_the_first_run_stays_whole(tmp_path):
    """Two evogan processes on one run folder: the second gets one line naming the holder and touches nothing; the
    first ends with every generation logged once. Then the same for two compares into one --out."""
    import subprocess

    out = tmp_path / "run"
    settings = ["generations=300", "population_size=2", "batch_size=32", "eval_batch_size=32", "model.hidden=16",
                "metrics.every=100", "log.checkpoint_every=20", "log.plots=false"]
    sets = [a for s in settings for a in ("--set", s)]
    first = subprocess.Popen([sys.executable, "-m", "evogan", "run", *sets, "--out", str(out), "--quiet"],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=tmp_path)
    _wait_for_lock(out, first)
    second = subprocess.run([sys.executable, "-m", "evogan", "run", "--resume", str(out), "--quiet"],
                            capture_output=True, text=True, cwd=tmp_path)
    assert second.returncode == 2 and f"is in use by process {first.pid}" in second.stderr, second.stderr
    assert "Traceback" not in second.stderr and len(second.stderr.strip().splitlines()) == 1
    assert first.wait(timeout=300) == 0, first.communicate()
    rows = [json.loads(line)["gen"] for line in (out / "logbook.jsonl").read_text().splitlines()]
    assert rows == list(range(1, 301))
    # the lock went with the process: a resume now works (a finished run extended by 10 generations)
    from evogan.runner import resume

    resume(out, overrides=["generations=310"], progress=False)
    assert json.loads((out / "metrics.json").read_text())["generation"] == 310

    strategy = tmp_path / "s.toml"
    strategy.write_text("\n".join(s.replace("generations=300", "generations=200") for s in settings) + "\n")
    compare_out = tmp_path / "cmp"
    command = [sys.executable, "-m", "evogan", "compare", str(strategy), "--seeds", "2", "--out", str(compare_out)]
    first = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=tmp_path)
    deadline = time.monotonic() + 120
    while not ((compare_out / ".lock").is_file() and f"process {first.pid}" in (compare_out / ".lock").read_text()):
        assert time.monotonic() < deadline and first.poll() is None
        time.sleep(0.05)
    second = subprocess.run(command, capture_output=True, text=True, cwd=tmp_path)
    assert second.returncode == 2 and f"is in use by process {first.pid}" in second.stderr, second.stderr
    assert first.wait(timeout=300) == 0, first.communicate()
    from evogan.compare import compare

    again = compare([str(strategy)], seeds=2, out=compare_out)  # the folder works again once the first compare is done
    assert [len(dirs) for dirs in again.runs.values()] == [2] and again.report.is_file()


def test_a_huge_or_forged_file_is_refused_before_its_body_is_held_in_memory(tmp_path):
    """A sparse 64 GiB file is refused by its size without a read; a 512 MiB file with evogan's header and a wrong
    digest is hashed in chunks: the process that checks it stays far below the file's size."""
    huge = tmp_path / "gen000009.pt"
    with huge.open("wb") as f:
        f.truncate(64 * 2 ** 30)
    with pytest.raises(DamagedCheckpoint, match="GiB, more than half this machine's free memory"):
        read_checkpoint(huge)
    forged = tmp_path / "gen000010.pt"
    with forged.open("wb") as f:
        f.write(HEADER + b"\0" * 32)
        f.truncate(512 * 2 ** 20)
    code = ("import resource; from evogan.io.checkpoint import read_checkpoint, DamagedCheckpoint\n"
            "before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss\n"
            f"try: read_checkpoint({str(forged)!r})\n"
            "except DamagedCheckpoint as err: print(err)\n"
            "print((resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) // 1024)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    message, grown_mib = done.stdout.strip().splitlines()
    assert "does not match its SHA-256 digest" in message
    assert 0 <= int(grown_mib) < 64  # 1 MiB chunks, not the 512 MiB body


def test_a_checkpoint_without_its_config_resumes_only_when_confirmed(tmp_path):
    """An older checkpoint records no config, so an edited config.toml (here: another dataset) cannot be caught: the
    resume is refused in one line unless --trust-config confirms config.toml as it stands."""
    run_dir = run(small(generations=4), tmp_path / "a")
    for path in (run_dir / "checkpoints").glob("gen*.pt"):
        state = read_checkpoint(path)
        del state["config"]
        save_checkpoint(run_dir / "checkpoints", state["generation"], state, keep=100)
    toml = (run_dir / "config.toml").read_text()
    (run_dir / "config.toml").write_text(toml.replace('dataset = "ring"', 'dataset = "grid"'))
    with pytest.raises(ConfigError, match="records no config .* add --trust-config"):
        resume(run_dir, ["generations=6"], progress=False)
    done = subprocess.run([sys.executable, "-m", "evogan", "run", "--resume", str(run_dir), "--set", "generations=6"],
                          capture_output=True, text=True)
    assert done.returncode == 2 and "records no config" in done.stderr and "Traceback" not in done.stderr
    (run_dir / "config.toml").write_text(toml)
    resume(run_dir, ["generations=6"], progress=False, trust_config=True)
    assert json.loads((run_dir / "metrics.json").read_text())["generation"] == 6


@pytest.mark.parametrize("islands", [None, {"count": 3, "migration_every": 2}])
def test_the_disk_check_counts_the_checkpoints_growth_over_the_run(tmp_path, islands):
    """A checkpoint grows by a log row per generation (per island too): the pre-flight estimate of the last
    checkpoint is at least its measured size and within 1.5x of it."""
    from evogan import Experiment
    from evogan.runner import checkpoint_bytes

    extra = {"islands": islands} if islands else {}
    config = small(generations=300, log={"progress": False, "plots": False, "checkpoint_every": 300}, **extra)
    run_dir = run(config, tmp_path / "a")
    measured = (run_dir / "checkpoints" / "gen00000300.pt").stat().st_size
    experiment = Experiment(config)
    try:
        estimate, _ = checkpoint_bytes(experiment)
    finally:
        experiment.close()
    assert measured <= estimate <= 1.5 * measured, (measured, estimate)
