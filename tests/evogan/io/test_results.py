"""Results as data: load_run reads a run directory back; the exported generator is a plain module that draws
exactly what the run's own sampling draws."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import torch

import evogan
from evogan import Config, ConfigError
from evogan.io.checkpoint import checkpoint_files, read_checkpoint
from evogan.experiment import Experiment
from evogan.io.export import read_export_info
from evogan.runner import run
from evogan.core.sampling import generate

ROOT = Path(__file__).resolve().parents[3]


def small(**extra) -> Config:
    base = dict(generations=6, population_size=2, batch_size=32, eval_batch_size=64,
                model={"hidden": 16, "g_layers": 2, "d_layers": 2, "g_norm": "batch"},
                metrics={"every": 3, "samples": 300}, log={"progress": False, "plots": False, "checkpoint_every": 3})
    base.update(extra)
    return Config(**base)


def test_load_run_reads_config_logbook_metrics_and_final(tmp_path):
    run_dir = run(small(), tmp_path / "a")
    result = evogan.load_run(run_dir)
    assert result.config.generations == 6 and result.config.model.g_norm == "batch"
    assert [row["gen"] for row in result.logbook] == [1, 2, 3, 4, 5, 6]
    assert {"d_loss", "f_q_avg", "sel_heuristic"} <= set(result.logbook[0])
    assert [m["generation"] for m in result.metrics] == [0, 3, 6]
    assert result.final["generation"] == 6 and result.final == result.metrics[-1] | result.final
    with pytest.raises(ConfigError, match="not a run directory"):
        evogan.load_run(tmp_path)


def test_the_exported_generator_is_a_plain_module_matching_the_runs_own_sampling(tmp_path):
    run_dir = run(small(), tmp_path / "a")
    module = evogan.load_run(run_dir).generator()
    assert isinstance(module, torch.nn.Module) and not module.training
    weights = read_checkpoint(checkpoint_files(run_dir / "checkpoints")[0])["experiment"]["population"][1]
    z = torch.randn(50, 2, generator=torch.Generator().manual_seed(3))
    architecture = Experiment(small()).generator
    expected = generate(architecture, weights["weights"], z, running_stats=True)
    assert torch.equal(evogan.load_run(run_dir).generator(member=1)(z), expected)
    assert module(z).shape == (50, 2) and not torch.equal(module(z), expected)  # member 0 is another generator
    with pytest.raises(ConfigError, match=r"member: 2 is out of range; allowed: \[0, 1\]"):
        evogan.load_run(run_dir).generator(member=2)


def test_export_writes_a_file_that_samples_with_torch_alone(tmp_path):
    run_dir = run(small(), tmp_path / "a")
    out = evogan.export_generator(run_dir, tmp_path / "g" / "generator.pt2", member=1)
    z = torch.randn(37, 2, generator=torch.Generator().manual_seed(5))
    expected = evogan.load_run(run_dir).generator(member=1)(z)
    torch.save(z, tmp_path / "z.pt")
    # a fresh interpreter where importing evogan fails: the file needs torch only
    script = ("import sys; sys.modules['evogan'] = None; import torch; "
              f"g = torch.export.load({str(out)!r}).module(); z = torch.load({str(tmp_path / 'z.pt')!r}); "
              f"torch.save(g(z), {str(tmp_path / 'x.pt')!r}); print(tuple(g(torch.randn(1, 2)).shape))")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "(1, 2)"
    assert torch.equal(torch.load(tmp_path / "x.pt"), expected)
    info = read_export_info(out)
    assert info["latent_dim"] == 2 and info["latent_distribution"] == "normal" and info["member"] == 1
    assert info["sample_shape"] == [2] and info["generation"] == 6


def test_export_info_is_read_without_loading_the_program(tmp_path, monkeypatch):
    """A .pt2 from elsewhere: its info comes straight from the zip; torch.export.load (which unpickles, so can run
    code) is never called, and a file that is not an export is one line."""
    import zipfile

    out = evogan.export_generator(run(small(), tmp_path / "a"), tmp_path / "g.pt2")

    def refuse(*args, **kwargs):
        raise AssertionError("read_export_info loaded the program")

    monkeypatch.setattr(torch.export, "load", refuse)
    assert read_export_info(out)["latent_dim"] == 2
    (tmp_path / "plain.pt2").write_bytes(b"not a zip at all")
    with pytest.raises(ConfigError, match="plain.pt2: not a readable evogan export"):
        read_export_info(tmp_path / "plain.pt2")
    with zipfile.ZipFile(tmp_path / "other.pt2", "w") as archive:
        archive.writestr("g/models/model.json", "{}")
    with pytest.raises(ConfigError, match="no evogan.json in it"):
        read_export_info(tmp_path / "other.pt2")
    with pytest.raises(ConfigError, match="cannot read it"):
        read_export_info(tmp_path / "missing.pt2")


def test_export_command_and_its_errors(tmp_path):
    run_dir = run(small(generations=3), tmp_path / "a")
    done = subprocess.run([sys.executable, "-m", "evogan", "export", str(run_dir), "--out", str(tmp_path / "g.pt2")],
                          capture_output=True, text=True, cwd=ROOT)
    assert done.returncode == 0 and "torch.export.load" in done.stdout and (tmp_path / "g.pt2").stat().st_size > 1000
    for args, message in (([str(tmp_path)], "not a run directory"), ([str(run_dir), "--member", "5"], "member: 5"),
                          ([str(run_dir), "--out", str(tmp_path)], "is a folder")):
        out = [] if "--out" in args else ["--out", str(tmp_path / "h.pt2")]
        done = subprocess.run([sys.executable, "-m", "evogan", "export", *args, *out], capture_output=True, text=True,
                              cwd=ROOT)
        assert done.returncode == 2 and message in done.stderr and "Traceback" not in done.stderr


def _islands_run(tmp_path):
    config = small(islands={"count": 3, "migration_every": 2, "migrants": 1, "mixture": "evolved", "mixture_steps": 5})
    return run(config, tmp_path / "islands")


def test_an_islands_run_reloads_as_measured_island_by_island_and_as_its_mixture(tmp_path):
    run_dir = _islands_run(tmp_path)
    result = evogan.load_run(run_dir)
    state = read_checkpoint(checkpoint_files(run_dir / "checkpoints")[0])["experiment"]
    # the metrics the run wrote are those of run.sample(): the islands mixed by their evolved weights
    samples = result.sample(result.config.metrics.samples)
    data = evogan.DATASETS.get("ring")(result.config, "cpu")
    measured = data.metrics(samples)
    assert {k: measured[k] for k in ("modes_covered", "high_quality", "reverse_kl")} == \
           {k: result.final[k] for k in ("modes_covered", "high_quality", "reverse_kl")}
    weights = result.mixture_weights()
    assert len(weights) == 3 and sum(weights) == pytest.approx(1) and weights == pytest.approx(
        [w / sum(state["islands"]["weights"]) for w in state["islands"]["weights"]])
    # island k's member is the checkpoint's island k member
    z = torch.randn(5, result.config.latent_dim, generator=torch.Generator().manual_seed(0))
    for k, population in enumerate([state["population"]] + [d["population"] for d in state["islands"]["demes"]]):
        g = result.generator(island=k)
        assert all(torch.equal(g.state_dict()[name], population[0]["weights"][name]) for name in g.state_dict())
    mixture = result.mixture()
    with torch.no_grad():
        rows = mixture(z, torch.tensor([0, 1, 2, 1, 0]))
        assert torch.equal(rows[1], result.generator(island=1)(z)[1]) and torch.equal(rows[2], result.generator(island=2)(z)[2])
    with pytest.raises(ConfigError, match=r"island: 3 is out of range; allowed: \[0, 2\]"):
        result.generator(island=3)


def test_export_writes_one_island_or_the_mixture(tmp_path):
    from evogan.io.export import export_generator

    run_dir = _islands_run(tmp_path)
    result = evogan.load_run(run_dir)
    z = torch.randn(4, result.config.latent_dim, generator=torch.Generator().manual_seed(1))
    island = torch.export.load(export_generator(run_dir, tmp_path / "i2.pt2", island=2)).module()
    assert torch.equal(island(z), result.generator(island=2)(z).detach())
    path = export_generator(run_dir, tmp_path / "mix.pt2", mixture=True)
    info = read_export_info(path)
    assert info["mixture_weights"] == pytest.approx(result.mixture_weights()) and info["island"] is None
    component = torch.tensor([2, 0, 1, 2])
    assert torch.equal(torch.export.load(path).module()(z, component), result.mixture()(z, component).detach())


def test_export_falls_back_to_the_newest_sound_checkpoint_and_every_failure_is_one_line(tmp_path):
    """A damaged newest checkpoint, one from another config and a broken logbook line: the export takes the newest
    checkpoint that is sound and fits, says which it skipped, and leaves the folder as it was; an unwritable --out is
    one line."""
    run_dir = run(small(generations=6), tmp_path / "a")
    other = run(small(generations=9, model={"hidden": 8, "g_layers": 2, "d_layers": 2, "g_norm": "batch"}),
                tmp_path / "b")  # its newest checkpoint is generation 9, the name it gets below
    newest, previous = checkpoint_files(run_dir / "checkpoints")[:2]
    expected = evogan.load_run(run_dir)._module(read_checkpoint(previous)["experiment"]["population"][1]["weights"])
    # another config's checkpoint put in as the newest, the real newest damaged, a torn logbook line
    shutil.copy(checkpoint_files(other / "checkpoints")[0], run_dir / "checkpoints" / "gen000009.pt")
    data = bytearray(newest.read_bytes())
    data[len(data) // 2] ^= 0xFF
    newest.write_bytes(bytes(data))
    with (run_dir / "logbook.jsonl").open("a") as log:
        log.write('{"gen": 7, "d_lo')
    before = sorted(p.name for p in (run_dir / "checkpoints").iterdir())
    done = subprocess.run([sys.executable, "-m", "evogan", "export", str(run_dir), "--member", "1", "--out",
                           str(tmp_path / "g.pt2")], capture_output=True, text=True, cwd=ROOT)
    assert done.returncode == 0 and "Traceback" not in done.stderr, done.stderr
    assert "gen000009.pt does not fit" in done.stderr and f"{newest.name} is damaged" in done.stderr
    assert "logbook.jsonl: 1 line(s) are not JSON rows" in done.stderr
    assert sorted(p.name for p in (run_dir / "checkpoints").iterdir()) == before  # nothing renamed or removed
    z = torch.randn(50, 2, generator=torch.Generator().manual_seed(0))
    exported = torch.export.load(tmp_path / "g.pt2").module()
    with torch.no_grad():
        assert torch.equal(exported(z), expected(z))  # the previous checkpoint's member 1, bit for bit
    blocker = tmp_path / "a_file"
    blocker.write_text("")
    for command in (["export", str(run_dir), "--out", str(blocker / "g.pt2")],
                    ["train-classifier", "--epochs", "1", "--out", str(blocker / "c.pt")]):
        done = subprocess.run([sys.executable, "-m", "evogan", *command], capture_output=True, text=True, cwd=ROOT)
        assert done.returncode != 0 and "Traceback" not in done.stderr and str(blocker) in done.stderr, done.stderr
        assert len(done.stderr.strip().splitlines()) == 1 and "held-out accuracy" not in done.stdout
