"""The progress bar: tqdm on a terminal, a line per tenth in a log, the status says which generation it is from."""

from __future__ import annotations

import io
import re

from evogan.io.progress import Progress


class Terminal(io.StringIO):
    def isatty(self):
        return True


def test_a_log_gets_one_line_per_tenth_with_the_status():
    log = io.StringIO()
    bar = Progress(200, stream=log)
    for gen in range(1, 201):
        bar.update(gen, f"modes 8/8 @ gen {gen - gen % 50}")
    bar.close()
    lines = log.getvalue().splitlines()
    assert len(lines) == 10
    assert lines[0].startswith("gen 20/200 (10%)") and lines[-1].startswith("gen 200/200 (100%)")
    assert lines[-1].endswith("modes 8/8 @ gen 200") and "0:00 left" in lines[-1]


def test_a_resumed_run_counts_only_its_own_generations():
    log = io.StringIO()
    bar = Progress(100, stream=log, initial=50)
    bar.update(51, "x")  # 50 → 51 is inside the sixth tenth: nothing new to say
    bar.update(60, "x")
    assert log.getvalue().startswith("gen 60/100 (60%)")


def test_a_terminal_gets_a_tqdm_bar_with_the_status(monkeypatch):
    monkeypatch.setenv("COLUMNS", "200")
    screen = Terminal()
    bar = Progress(100, stream=screen)
    for gen in range(1, 101):
        bar.update(gen, "modes 8/8 @ gen 100")
    bar.close()
    text = screen.getvalue()
    assert re.search(r"100/100 \[.*gen/s, modes 8/8 @ gen 100\]", text), text[-300:]
    silent = Terminal()
    Progress(10, stream=silent, enabled=False).update(5, "x")
    assert silent.getvalue() == ""


def test_a_narrow_terminal_keeps_the_status_and_drops_the_bar(monkeypatch):
    monkeypatch.setenv("COLUMNS", "80")
    screen = Terminal()
    bar = Progress(6000, stream=screen)
    status = "modes 8/8 hq 97.4% rKL 0.012 gap 0.1% @ gen 6000"
    bar.update(6000, status)
    bar.close()
    last = screen.getvalue().strip().split("\r")[-1]
    assert last.startswith("6000/6000 gen [") and last.endswith(status) and len(last) <= 80, last
