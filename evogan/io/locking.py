"""One evogan process per run folder (and per compare ``--out``): an OS lock on ``DIR/.lock``.

The lock is ``fcntl.flock``: the kernel releases it on every exit path, a crash and SIGKILL included, so a dead
holder never leaves a stale lock; the file keeps the last holder's process id and start time for the message a
second process gets. Where ``fcntl`` does not exist (Windows) folders are not locked.
"""

from __future__ import annotations

import contextlib
import os
import socket
import time
from pathlib import Path

from ..config import ConfigError

try:
    import fcntl
except ImportError:  # pragma: no cover -- Windows
    fcntl = None

__all__ = ["LOCK_NAME", "folder_lock"]

LOCK_NAME = ".lock"


@contextlib.contextmanager
def folder_lock(folder: Path, what: str):
    """Hold ``folder``'s lock for the block; a ConfigError naming the holder when another process has it."""
    if fcntl is None:
        yield
        return
    path = Path(folder) / LOCK_NAME
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 512, 0).decode("utf-8", "replace").strip() or "another process"
            raise ConfigError(f"{folder} is in use by {holder}: one evogan {what} at a time per folder; wait for it "
                              "to end or stop it, then run this again") from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"process {os.getpid()} on {socket.gethostname()} since "
                      f"{time.strftime('%Y-%m-%d %H:%M:%S')}\n".encode(), 0)
        yield
    finally:
        os.close(fd)  # releases the lock
