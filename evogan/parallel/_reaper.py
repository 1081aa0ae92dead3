"""Ends a local Ray's helper processes once the evogan process that started them is gone (Linux).

Killed with SIGKILL, a driver takes its Ray's gcs, raylet and workers with it, but Ray's dashboard and runtime-env
agents (about 85 MB each) linger for a minute or more. ``ray_backend.connect`` starts this script, stdlib only and
in its own session, right after it starts a local Ray: it notes the driver's Ray processes and their descendants
every half second (pid and start time, so a reused pid is never touched) and, once the driver is gone, kills the
ones still alive. It exits by itself when that Ray is shut down normally.

    python _reaper.py DRIVER_PID DRIVER_START_TIME SESSION_NAME
"""

from __future__ import annotations

import os
import signal
import sys
import time

POLL_SECONDS = 0.5
#: how long to wait for the first of the Ray's processes before concluding there is nothing to watch
FIRST_SIGHT_SECONDS = 30.0


def read_stat(pid: int) -> tuple[int, int] | None:
    """``(parent pid, start time in clock ticks)`` of a live process, None if it is gone or a zombie."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as stat:
            data = stat.read()
    except OSError:
        return None
    fields = data[data.rindex(b")") + 2:].split()  # the command name may hold spaces and parentheses
    return None if fields[0] == b"Z" else (int(fields[1]), int(fields[19]))


def processes() -> dict[int, tuple[int, int]]:
    """Every live process: pid -> (parent pid, start time)."""
    found = {}
    for name in os.listdir("/proc"):
        if name.isdigit() and (stat := read_stat(int(name))) is not None:
            found[int(name)] = stat
    return found


def _mentions(pid: int, session: bytes) -> bool:
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as cmdline:
            return session in cmdline.read()
    except OSError:
        return False


def ray_family(driver: int, session: bytes, table: dict[int, tuple[int, int]]) -> dict[int, int]:
    """The driver's children that run this Ray session (gcs, raylet, monitors) and all their descendants."""
    children: dict[int, list[int]] = {}
    for pid, (parent, _) in table.items():
        children.setdefault(parent, []).append(pid)
    todo = [pid for pid in children.get(driver, []) if _mentions(pid, session)]
    family = {}
    while todo:
        pid = todo.pop()
        family[pid] = table[pid][1]
        todo.extend(children.get(pid, []))
    return family


def watch(driver: int, driver_start: int, session: bytes) -> list[int]:
    """Watch until the driver is gone (then kill what is left of its Ray; returns those pids) or its Ray is."""
    seen: dict[int, int] = {}
    started = time.monotonic()
    ever_seen = False
    while True:
        table = processes()
        if table.get(driver, (0, None))[1] != driver_start:
            killed = []
            for pid, start in seen.items():
                if table.get(pid, (0, None))[1] == start:
                    try:
                        os.kill(pid, signal.SIGKILL)
                        killed.append(pid)
                    except OSError:  # gone meanwhile
                        pass
            return killed
        seen.update(ray_family(driver, session, table))
        seen = {pid: start for pid, start in seen.items() if table.get(pid, (0, None))[1] == start}
        ever_seen = ever_seen or bool(seen)
        if not seen and (ever_seen or time.monotonic() - started > FIRST_SIGHT_SECONDS):
            return []  # the Ray was shut down with the driver alive: nothing left to guard
        time.sleep(POLL_SECONDS)


def main(argv: list[str]) -> int:
    driver, driver_start, session = int(argv[0]), int(argv[1]), argv[2].encode()
    watch(driver, driver_start, session)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
