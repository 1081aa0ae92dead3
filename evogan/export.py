"""A run's generator as a standalone file that samples with torch alone.

``export_generator(run_dir, out)`` (``evogan export RUN_DIR --out G.pt2``) writes
the chosen population member (0: the best survivor of the newest checkpoint)
as a ``torch.export`` program with a dynamic batch size, in eval mode (BatchNorm
uses the member's running averages). Reading it needs no evogan::

    import torch
    g = torch.export.load("G.pt2").module()
    x = g(torch.randn(1000, 2))          # z drawn from the run's prior

The run's prior of z (``latent_distribution``, mean rescaling) and its shapes are
stored beside the program as ``evogan.json`` (``torch.export.load(path,
extra_files={"evogan.json": ""})`` fills the dict with it).
"""

from __future__ import annotations

import json
from pathlib import Path

import torch

from .config import ConfigError
from .results import load_run

__all__ = ["export_generator", "read_export_info"]

META = "evogan.json"


def export_generator(run_dir: str | Path, out: str | Path, member: int = 0, island: int = 0,
                     mixture: bool = False) -> Path:
    """Write population member ``member`` of island ``island`` of the run in ``run_dir`` to ``out`` (a ``.pt2``
    file); with ``mixture``, that member of every island as one program ``(z, component) -> samples`` whose info
    holds the islands' mixture weights (draw ``component`` from them). Returns ``out``."""
    run = load_run(run_dir)
    dim = run.config.latent_dim
    example = torch.zeros(2, dim)
    batch = torch.export.Dim("batch", min=1)
    if mixture:
        generator = run.mixture(member)
        inputs, shapes = (example, torch.zeros(2, dtype=torch.long)), ((batch, torch.export.Dim.STATIC), (batch,))
    else:
        generator = run.generator(member, island)
        inputs, shapes = (example,), ((batch, torch.export.Dim.STATIC),)
    program = torch.export.export(generator, inputs, dynamic_shapes=shapes)
    with torch.no_grad():
        shape = list(generator(*inputs).shape[1:])
    info = {"latent_dim": dim, "latent_distribution": run.config.latent_distribution,
            "latent_mean_rescaling": run.config.latent_mean_rescaling, "sample_shape": shape,
            "dataset": run.config.dataset, "member": member, "island": None if mixture else island,
            "mixture_weights": generator.weights.tolist() if mixture else None, "run": str(Path(run_dir).resolve()),
            "generation": (run.final or {}).get("generation", run.logbook[-1]["gen"] if run.logbook else None)}
    out = Path(out)
    if out.is_dir():
        raise ConfigError(f"--out: {out} is a folder; give a file name such as {out / 'generator.pt2'}")
    out.parent.mkdir(parents=True, exist_ok=True)
    torch.export.save(program, out, extra_files={META: json.dumps(info)})
    return out


def read_export_info(path: str | Path) -> dict:
    """The ``evogan.json`` stored with an exported generator."""
    extra = {META: ""}
    torch.export.load(path, extra_files=extra)
    return json.loads(extra[META])
