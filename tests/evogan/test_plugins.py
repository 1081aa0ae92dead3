"""Plugins: a user's loss registered in a module or a .py file reaches `evogan run`, `evogan compare`, Ray workers
and compare's Ray tasks; a missing one is one clear line."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from evogan import ConfigError
from evogan.compare import compare
from evogan.config import load_config
from evogan.plugins import load_plugins
from evogan.runner import run

pytestmark = pytest.mark.timeout(300)
ROOT = Path(__file__).resolve().parents[2]
TINY = ["generations=4", "population_size=2", "batch_size=32", "eval_batch_size=64", "model.hidden=16",
        "model.g_layers=2", "model.d_layers=2", "metrics.every=2", "metrics.samples=300", "log.plots=false",
        "log.progress=false", 'mutations=["hinge_test", "heuristic"]']
HINGE = '''
import torch.nn.functional as F
from operators import LOSSES

if "hinge_test" not in LOSSES:
    @LOSSES.register("hinge_test")
    def hinge_test(d_fake):
        """The hinge generator loss, -E D(G(z)) on logits."""
        return -d_fake.mean()
'''


@pytest.fixture()
def plugin_file(tmp_path) -> Path:
    folder = tmp_path / "plugins"
    folder.mkdir()
    path = folder / "hinge_plugin.py"
    path.write_text(HINGE)
    return path


def sets(overrides: list[str]) -> list[str]:
    return [item for o in overrides for item in ("--set", o)]


def test_a_plugin_file_named_in_the_toml_is_relative_to_it_and_reaches_evogan_run(tmp_path, plugin_file):
    strategy = plugin_file.parent / "hinge.toml"
    strategy.write_text('plugins = ["hinge_plugin.py"]\n')
    assert load_config(strategy).plugins == [str(plugin_file.resolve())]
    done = subprocess.run([sys.executable, "-m", "evogan", "run", str(strategy), *sets(TINY), "--out",
                           str(tmp_path / "run")], capture_output=True, text=True, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "run" / "metrics.json").is_file()
    evaluations = [json.loads(line)["nevals"] for line in open(tmp_path / "run" / "logbook.jsonl")]
    assert evaluations == [4, 4, 4, 4]  # 2 parents x (hinge_test, heuristic)


def test_import_a_module_from_the_command_line_and_resume_imports_it_again_only_when_trusted(tmp_path, plugin_file):
    """A run folder's plugins are code: a resume refuses them in one line and imports nothing (not even when the
    config then fails its check), unless --trust-plugins or the same --import confirms them."""
    marker = tmp_path / "imported.txt"
    plugin_file.write_text(HINGE + "\nimport os\nopen(os.environ['MARKER'], 'a').write('x')\n")
    env = {**os.environ, "MARKER": str(marker),
           "PYTHONPATH": f"{plugin_file.parent}{os.pathsep}{os.environ.get('PYTHONPATH', '')}"}
    out = tmp_path / "run"

    def evogan(*arguments):
        return subprocess.run([sys.executable, "-m", "evogan", "run", *arguments], capture_output=True, text=True,
                              cwd=ROOT, env=env)

    done = evogan("--import", "hinge_plugin", *sets(TINY), "--set", "log.checkpoint_every=2", "--out", str(out))
    assert done.returncode == 0, done.stderr
    assert 'plugins = [\n    "hinge_plugin",\n]' in (out / "config.toml").read_text()
    (out / "metrics.json").unlink()
    marker.unlink()
    refused = evogan("--resume", str(out), "--quiet")
    assert refused.returncode == 2 and "names plugins ['hinge_plugin']" in refused.stderr
    assert "--trust-plugins" in refused.stderr and "Traceback" not in refused.stderr and not marker.exists()
    changed = evogan("--resume", str(out), "--quiet", "--trust-plugins", "--set", "seed=5")
    assert changed.returncode == 2 and "seed" in changed.stderr and not marker.exists()  # checked before any import
    for confirm in (["--import", "hinge_plugin"], ["--trust-plugins"]):
        (out / "metrics.json").unlink(missing_ok=True)
        resumed = evogan("--resume", str(out), "--quiet", *confirm)
        assert resumed.returncode == 0, resumed.stderr
        assert (out / "metrics.json").is_file() and marker.exists()


def test_a_missing_plugin_is_one_clear_line(tmp_path):
    done = subprocess.run([sys.executable, "-m", "evogan", "run", "--import", "no_such_plugin_xyz", *sets(TINY),
                           "--out", str(tmp_path / "run")], capture_output=True, text=True, cwd=ROOT)
    assert done.returncode == 2 and "plugins: cannot import 'no_such_plugin_xyz'" in done.stderr
    assert "Traceback" not in done.stderr and not (tmp_path / "run").exists()
    with pytest.raises(ConfigError, match=r"plugins: .*missing.py: no such file"):
        load_plugins([str(tmp_path / "missing.py")])


def test_plugins_reach_ray_workers_and_give_the_in_process_result(ray_session, tmp_path, plugin_file):
    config = load_config(None, TINY + [f"plugins=['{plugin_file}']"])
    in_process = run(config, tmp_path / "a")
    on_ray = run(load_config(None, TINY + [f"plugins=['{plugin_file}']", "parallel.backend='ray'",
                                           "parallel.workers=2"]), tmp_path / "b")
    rows = lambda d: [{k: v for k, v in json.loads(line).items() if k not in ("seconds", "wall_time")}  # noqa: E731
                      for line in open(d / "logbook.jsonl")]
    assert rows(on_ray) == rows(in_process)


def test_compare_imports_plugins_in_its_ray_tasks(ray_session, tmp_path, plugin_file):
    strategy = tmp_path / "hinge.toml"
    strategy.write_text("p_cross = 0.0\n")
    result = compare([strategy], seeds=2, overrides=TINY, out=tmp_path / "cmp", backend="ray",
                     plugins=[str(plugin_file)])
    for run_dir in result.runs["hinge"]:  # each Ray task resolved hinge_test: 2 parents x 2 losses per generation
        assert str(plugin_file) in load_config(run_dir / "config.toml").plugins
        assert [json.loads(line)["nevals"] for line in open(run_dir / "logbook.jsonl")] == [4, 4, 4, 4]
