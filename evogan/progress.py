"""A dependency-free progress bar on stderr (a redrawn line on a terminal, sparse lines in a log)."""

from __future__ import annotations

import sys
import time

__all__ = ["Progress"]


def _clock(seconds: float) -> str:
    seconds = int(seconds)
    return f"{seconds // 60:d}:{seconds % 60:02d}"


class Progress:
    def __init__(self, total: int, *, enabled: bool = True, stream=None, width: int = 24):
        self.total, self.enabled, self.width = total, enabled, width
        self.stream = stream if stream is not None else sys.stderr
        self.tty = getattr(self.stream, "isatty", lambda: False)()
        self.started = time.perf_counter()
        self.last_draw = -1.0
        self.last_decile = -1

    def update(self, done: int, status: str = "") -> None:
        if not self.enabled:
            return
        now = time.perf_counter()
        elapsed = now - self.started
        fraction = done / self.total
        eta = elapsed / done * (self.total - done) if done else 0.0
        filled = int(self.width * fraction)
        line = (
            f"[{'#' * filled}{'.' * (self.width - filled)}] gen {done}/{self.total} "
            f"{100 * fraction:5.1f}% {_clock(elapsed)} elapsed, {_clock(eta)} left  {status}"
        )
        if self.tty:
            if now - self.last_draw >= 0.1 or done == self.total:
                self.stream.write("\r" + line.ljust(110)[:160])
                self.stream.flush()
                self.last_draw = now
        else:
            decile = int(10 * fraction)
            if decile > self.last_decile:
                self.stream.write(line + "\n")
                self.stream.flush()
                self.last_decile = decile

    def close(self) -> None:
        if self.enabled and self.tty:
            self.stream.write("\n")
            self.stream.flush()
