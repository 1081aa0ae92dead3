"""`evogan run` on the Ray backend in a subprocess that starts its own Ray: it leaves no process behind,
neither at the end of a run nor after Ctrl-C."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import pytest

pytestmark = [
    pytest.mark.timeout(240),
    pytest.mark.skipif(not Path("/proc/self/environ").exists(), reason="reads /proc (Linux)"),
]

ROOT = Path(__file__).resolve().parents[3]
SMALL = ["--set", "population_size=2", "--set", "model.hidden=16", "--set", "metrics.samples=300",
         "--set", "log.plots=false", "--quiet"]


def marked_processes(mark: str, folder: str | None = None) -> list[int]:
    """Live processes whose environment carries ``EVOGAN_TEST_MARK=mark`` (the run, its Ray and workers) or,
    with ``folder``, that hold a file open under it. (Ray's agents need the folder: setproctitle overwrites
    most of their environment.)"""
    needle = f"EVOGAN_TEST_MARK={mark}".encode()
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            environ = (entry / "environ").read_bytes().split(b"\0")
            state = (entry / "stat").read_text().rsplit(")", 1)[1].split()[0]
            files = [os.readlink(fd) for fd in (entry / "fd").iterdir()] if folder else []
        except OSError:  # gone meanwhile, or not ours
            continue
        if state != "Z" and (needle in environ or any(name.startswith(f"{folder}/") for name in files)):
            found.append(int(entry.name))
    return found


def wait_until_gone(mark: str, seconds: float = 30.0, folder: str | None = None) -> list[int]:
    deadline = time.time() + seconds
    while (left := marked_processes(mark, folder)) and time.time() < deadline:
        time.sleep(0.5)
    return left


def start(args, out: Path, mark: str, **env) -> subprocess.Popen:
    exe = Path(sys.executable).with_name("evogan")
    command = [str(exe)] if exe.exists() else [sys.executable, "-m", "evogan"]
    env = {**os.environ, "EVOGAN_TEST_MARK": mark, **env}
    return subprocess.Popen(command + ["run", *args, "--out", str(out)], env=env, cwd=ROOT, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True)


def test_a_ray_run_finishes_and_shuts_its_ray_down(tmp_path):
    mark = uuid.uuid4().hex
    proc = start(["ring_egan_crossover_ray", "--set", "generations=3", *SMALL], tmp_path / "r", mark)
    out, err = proc.communicate(timeout=200)
    assert proc.returncode == 0, err
    assert "run directory" in out and (tmp_path / "r" / "metrics.json").is_file()
    assert wait_until_gone(mark) == []


def test_ctrl_c_stops_a_ray_run_cleanly(tmp_path):
    mark = uuid.uuid4().hex
    proc = start(["ring_egan_crossover_ray", "--set", "generations=100000", *SMALL], tmp_path / "r", mark)
    logbook = tmp_path / "r" / "logbook.csv"
    deadline = time.time() + 150
    while time.time() < deadline and proc.poll() is None:
        if logbook.exists() and len(logbook.read_text().splitlines()) >= 3:  # header and two generations
            break
        time.sleep(0.2)
    assert proc.poll() is None, proc.communicate()[1]
    assert len(marked_processes(mark)) >= 3  # the check below can see them: the run, Ray's daemons, workers
    os.killpg(proc.pid, signal.SIGINT)  # what Ctrl-C in a terminal does: the whole foreground group
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    assert "evogan: interrupted" in err and "Traceback" not in err
    assert wait_until_gone(mark) == []


def test_a_ray_that_cannot_start_is_one_line_and_leaves_no_run_folder(tmp_path):
    """An object store larger than the machine makes ray.init fail (as a timeout under load does): evogan's one
    line, exit 1, and no run folder holding only config.toml."""
    out = tmp_path / "run"
    done = subprocess.run([sys.executable, "-m", "evogan", "run", *SMALL, "--set", "parallel.backend=ray",
                           "--set", "parallel.object_store_mb=100000000", "--set", "generations=2", "--out", str(out)],
                          capture_output=True, text=True, cwd=ROOT, timeout=180)
    assert done.returncode == 1, done.stderr
    assert "evogan: error: parallel.backend = 'ray': the local Ray did not start (ValueError" in done.stderr
    assert "Traceback" not in done.stderr and not out.exists()


def test_a_killed_driver_leaves_no_ray_process_behind(tmp_path):
    """SIGKILL of the run alone (the out-of-memory killer's way): its watcher ends Ray's daemons, agents and
    workers within seconds. Without it Ray's dashboard and runtime-env agents outlive the run by a minute."""
    mark = uuid.uuid4().hex
    ray_tmp = tempfile.mkdtemp(prefix="evr", dir="/tmp")  # short: Ray's socket paths live under it
    try:
        proc = start(["ring_egan_crossover_ray", "--set", "generations=100000", *SMALL], tmp_path / "r", mark,
                     RAY_TMPDIR=ray_tmp)
        logbook = tmp_path / "r" / "logbook.csv"
        deadline = time.time() + 150
        while time.time() < deadline and proc.poll() is None:
            if logbook.exists() and len(logbook.read_text().splitlines()) >= 3:
                break
            time.sleep(0.2)
        assert proc.poll() is None, proc.communicate()[1]
        titles = [Path(f"/proc/{pid}/cmdline").read_bytes() for pid in marked_processes(mark, ray_tmp)]
        assert sum(b"Agent" in title for title in titles) == 2  # the test sees the two that used to linger
        os.kill(proc.pid, signal.SIGKILL)
        proc.communicate(timeout=30)
        assert wait_until_gone(mark, seconds=20, folder=ray_tmp) == []
    finally:
        shutil.rmtree(ray_tmp, ignore_errors=True)
