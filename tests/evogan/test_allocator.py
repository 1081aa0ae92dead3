"""glibc malloc tuning: applied once by an experiment, skipped when the config or the environment says so."""

from __future__ import annotations

import os
import platform
import subprocess
import sys

import pytest

pytestmark = pytest.mark.skipif(
    platform.system() != "Linux" or platform.libc_ver()[0] != "glibc", reason="mallopt is glibc's"
)

PROBE = """
import sys
from evogan import Config, Experiment, allocator
Experiment(Config(tune_malloc=sys.argv[1] == "on", population_size=1, log={"progress": False}))
print(allocator._applied, allocator.tune_malloc())
"""


def probe(setting: str, **env) -> str:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("MALLOC_")}
    done = subprocess.run([sys.executable, "-c", PROBE, setting], capture_output=True, text=True, check=True,
                          env={**clean, **env})
    return done.stdout.split()


def test_an_experiment_applies_it_once_per_process():
    assert probe("on") == ["True", "True"]  # applied by Experiment; a second call is a no-op that reports it


def test_config_off_leaves_malloc_alone():
    assert probe("off") == ["False", "True"]  # the experiment did not; an explicit call still can


def test_an_explicit_environment_setting_wins():
    assert probe("on", MALLOC_MMAP_THRESHOLD_="131072") == ["False", "False"]
