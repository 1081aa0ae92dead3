"""Regenerate the tables of benchmarks/README.md from the committed results.

Every results table in the README sits between two markers that name the command printing it::

    <!-- generated: equal_compute.py --report-only --datasets grid49 --seeds 0 1 2 --plan pacgan2@compute -->
    ...the command's output, ending with how many runs it read and when they were made...
    <!-- end generated -->

The command is a benchmark script of this folder with ``--report-only``: it reads the kept runs under
``benchmarks/results/`` and trains nothing, so a block costs seconds. The prose around a block (what the numbers
mean) is written by whoever ran them; the numbers themselves are never typed in.

    python benchmarks/update_readme.py            # rewrite every block in place
    python benchmarks/update_readme.py --check    # exit 1 and show the stale blocks (what a test runs)
"""

from __future__ import annotations

import argparse
import difflib
import re
import shlex
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
README = HERE / "README.md"
BLOCK = re.compile(r"(<!-- generated: (?P<command>[^\n]*?) -->\n)(?P<body>.*?)(<!-- end generated -->)", re.S)


class BadBlock(ValueError):
    """A marker whose command is not a report of a benchmark script here."""


def _argv(command: str) -> list[str]:
    argv = shlex.split(command)
    if not argv or "/" in argv[0] or not (HERE / argv[0]).is_file() or "--report-only" not in argv:
        raise BadBlock(f"generated block {command!r}: the command must be a script in benchmarks/ with --report-only")
    return [sys.executable, str(HERE / argv[0]), *argv[1:]]


def render(command: str) -> str:
    done = subprocess.run(_argv(command), capture_output=True, text=True, cwd=HERE.parent, timeout=600)
    if done.returncode:
        raise BadBlock(f"generated block {command!r} failed:\n{done.stderr.strip()[-2000:]}")
    body = done.stdout.strip("\n")  # its last line says how many runs it read and when they were made
    return f"{body}\n\n*Printed by `python benchmarks/{command}` from the committed runs.*\n"


def regenerate(text: str) -> str:
    return BLOCK.sub(lambda m: m.group(1) + render(m.group("command")) + m.group(4), text)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="change nothing; exit 1 if a block is stale")
    parser.add_argument("--readme", default=str(README))
    args = parser.parse_args(argv)
    path = Path(args.readme)
    old = path.read_text()
    try:
        new = regenerate(old)
    except BadBlock as error:
        print(error, file=sys.stderr)
        return 2
    blocks = len(BLOCK.findall(old))
    if args.check:
        if new != old:
            sys.stdout.writelines(difflib.unified_diff(old.splitlines(True), new.splitlines(True), str(path),
                                                       "regenerated", n=1))
            print(f"\n{path}: stale; run python benchmarks/update_readme.py", file=sys.stderr)
            return 1
        print(f"{path}: {blocks} generated blocks up to date")
        return 0
    path.write_text(new)
    print(f"{path}: {blocks} generated blocks rewritten")
    return 0


if __name__ == "__main__":
    sys.exit(main())
