"""Where and with what a run was computed: ``provenance.json`` in its run directory.

A seeded run is bit-for-bit reproducible on the same machine with the same software and thread count. Across CPUs
(their matmul kernels: AVX2, AVX-512, AMX), torch builds or thread counts the last bits of floating-point results
differ and a long run drifts to another, statistically equal, result. This file says which of those a run had, so
two results can be told apart from a reproducibility failure. ``cpu_seconds`` is the process's CPU time for the
run (all its threads; Ray workers' time is their own), summed over resumes: what equal-compute comparisons read.
"""

from __future__ import annotations

import json
import os
import platform
import subprocess
from functools import lru_cache
from importlib import metadata
from pathlib import Path

import torch

__all__ = ["environment", "write_provenance", "read_cpu_seconds"]

FILE = "provenance.json"


def _version(package: str) -> str | None:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return None


def _commit() -> str | None:
    """The git commit of the evogan source tree, when it is a checkout (an editable install), with ``+dirty``."""
    source = Path(__file__).resolve().parents[1]
    try:
        head = subprocess.run(["git", "-C", str(source), "rev-parse", "HEAD"], capture_output=True, text=True, timeout=5)
        if head.returncode:
            return None
        dirty = subprocess.run(["git", "-C", str(source), "status", "--porcelain", "--untracked-files=no"],
                               capture_output=True, text=True, timeout=5).stdout.strip()
        return head.stdout.strip() + ("+dirty" if dirty else "")
    except (OSError, subprocess.TimeoutExpired):
        return None


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def environment(device) -> dict:
    """The software and machine facts that decide a run's last bits."""
    return {**_fixed(), "threads": torch.get_num_threads(), "device": str(device),
            "cuda": torch.version.cuda if str(device).startswith("cuda") else None}


@lru_cache(maxsize=1)
def _fixed() -> dict:
    """What cannot change within a process (looked up once: it runs git)."""
    return {
        "evogan": _version("evogan"),
        "commit": _commit(),
        "python": platform.python_version(),
        "torch": torch.__version__,
        "numpy": _version("numpy"),
        "deap": _version("deap"),
        "platform": platform.platform(),
        "cpu": _cpu_model(),
        "cpu_capability": torch.backends.cpu.get_cpu_capability(),  # the kernels torch dispatches to
        "cpu_count": os.cpu_count(),
    }


def write_provenance(run_dir: Path, device, *, cpu_seconds: float, wall_seconds: float, generation: int) -> None:
    """(Re)write ``provenance.json``: this session's environment appended to those of earlier sessions (a resume may
    run elsewhere), with the run's totals so far."""
    path = Path(run_dir) / FILE
    sessions = []
    if path.exists():
        try:
            sessions = json.loads(path.read_text()).get("sessions", [])
        except (json.JSONDecodeError, AttributeError):
            sessions = []
    here = environment(device)
    if not sessions or sessions[-1].get("environment") != here:
        sessions.append({"environment": here})
    sessions[-1]["until_generation"] = generation
    record = {"cpu_seconds": cpu_seconds, "wall_seconds": wall_seconds, "generation": generation,
              **here, "sessions": sessions}
    path.write_text(json.dumps(record, indent=2) + "\n")


def read_cpu_seconds(run_dir: Path) -> float | None:
    """The run's CPU seconds from its provenance, or None (a run of an evogan without it)."""
    try:
        return float(json.loads((Path(run_dir) / FILE).read_text())["cpu_seconds"])
    except (OSError, KeyError, TypeError, ValueError):
        return None
