"""The progress bar on stderr: tqdm on a terminal (its width, a smoothed ETA), a line per tenth in a log file."""

from __future__ import annotations

import shutil
import sys
import time

from tqdm import tqdm

__all__ = ["Progress"]

#: terminal columns from which the bar is drawn beside the status
WIDE = 140


def _clock(seconds: float) -> str:
    seconds = int(seconds)
    return f"{seconds // 3600:d}:{seconds // 60 % 60:02d}:{seconds % 60:02d}" if seconds >= 3600 else \
        f"{seconds // 60:d}:{seconds % 60:02d}"


class Progress:
    """Generations done out of ``total``, with a status (the newest metrics and the generation they are from).

    A resumed run starts at ``initial``; its rate and ETA count only the generations made since (tqdm's moving
    average on a terminal, the mean since the start otherwise).
    """

    def __init__(self, total: int, *, enabled: bool = True, stream=None, initial: int = 0):
        self.total, self.enabled, self.initial = total, enabled, initial
        self.stream = stream if stream is not None else sys.stderr
        self.tty = getattr(self.stream, "isatty", lambda: False)()
        self.started = time.perf_counter()
        self.last_tenth = int(10 * initial / total) if total else 0
        self.bar = None
        if enabled and self.tty:
            # the status (the newest metrics) is what matters: on a terminal narrower than it and a bar, drop the bar
            wide = shutil.get_terminal_size((80, 24)).columns >= WIDE
            bar_format = ("{l_bar}{bar}| {n}/{total} [{elapsed}<{remaining}, {rate_fmt}{postfix}]" if wide else
                          "{n}/{total} gen [{elapsed}<{remaining}]{postfix}")
            self.bar = tqdm(total=total, initial=initial, file=self.stream, dynamic_ncols=True, unit="gen",
                            smoothing=0.05, mininterval=0.2, bar_format=bar_format)

    def update(self, done: int, status: str = "") -> None:
        if not self.enabled:
            return
        if self.bar is not None:
            self.bar.set_postfix_str(status, refresh=False)
            self.bar.update(done - self.bar.n)
            return
        tenth = int(10 * done / self.total)
        if tenth > self.last_tenth or done == self.total:
            self.last_tenth = tenth
            elapsed = time.perf_counter() - self.started
            made = done - self.initial
            eta = elapsed / made * (self.total - done) if made > 0 else 0.0
            self.stream.write(f"gen {done}/{self.total} ({100 * done / self.total:.0f}%) {_clock(elapsed)} elapsed, "
                              f"{_clock(eta)} left  {status}\n")
            self.stream.flush()

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
