"""Ends a local Ray's processes once the evogan process that started it is gone, SIGKILL included.

Ray's dashboard and runtime-env agents notice a dead raylet within seconds but then wait up to a minute
trying to report it to the (dead) GCS, so after a killed driver they outlive it by 60 s or more. This
watcher is started by :func:`evogan.parallel.ray_backend.connect` in its own session, with a pipe from the
driver on its stdin: end-of-file means the driver closed it or died (no polling, so no race under load).
It then kills every process that holds a file open in the Ray session's folder (the driver writes its
path to the pipe once Ray is up; every Ray daemon, agent and worker keeps its logs there) or whose
environment carries the run's token (``EVOGAN_RAY_OWNER``, set only while Ray starts, for a driver killed
before it could write the path). The token alone is not enough: Ray renames its agents with
setproctitle, which overwrites most of their environment.

Run as a script with the standard library only (``python -I _ray_reaper.py TOKEN DRIVER_PID``): importing evogan
would cost a torch import.
"""

import os
import signal
import sys
import time
from pathlib import Path

VARIABLE = "EVOGAN_RAY_OWNER"


def _holds_file_under(entry: Path, folders: list[str]) -> bool:
    for fd in (entry / "fd").iterdir():
        try:
            target = os.readlink(fd)
        except OSError:
            continue
        if any(target.startswith(folder) for folder in folders):
            return True
    return False


def marked(needle: bytes, folders: list[str], spare: set[int]) -> list[int]:
    """Live processes (not zombies, not ``spare``) whose environment holds ``needle`` or that hold a file
    open under one of ``folders``."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) in spare:
            continue
        try:
            if (entry / "stat").read_text().rsplit(")", 1)[1].split()[0] == "Z":
                continue
            if needle in (entry / "environ").read_bytes().split(b"\0") or _holds_file_under(entry, folders):
                found.append(int(entry.name))
        except (OSError, IndexError):  # gone meanwhile, or another user's
            continue
    return found


def reap(token: str, folders: list[str], spare: set[int], quiet_rounds: int = 4, give_up_s: float = 60.0) -> None:
    """Kill the run's Ray processes until none has been seen for ``quiet_rounds`` scans in a row."""
    needle = f"{VARIABLE}={token}".encode()
    folders = [folder.rstrip("/") + "/" for folder in folders]
    deadline, quiet = time.monotonic() + give_up_s, 0
    while quiet < quiet_rounds and time.monotonic() < deadline:
        pids = marked(needle, folders, spare)
        for pid in pids:
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass
        quiet = 0 if pids else quiet + 1
        time.sleep(0.25)


def main() -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # a Ctrl-C ends the driver; this one still has work after it
    token, driver = sys.argv[1], int(sys.argv[2])
    folders = [line.strip() for line in sys.stdin if line.strip()]  # ends at end-of-file: the driver closed it or died
    reap(token, folders, spare={os.getpid(), driver})


if __name__ == "__main__":
    main()
