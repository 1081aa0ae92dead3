"""A run's generator as a standalone file that samples with torch alone.

``export_generator(run_dir, out)`` (``evogan export RUN_DIR --out G.pt2``) writes
the chosen population member (0: the best survivor of the newest checkpoint)
as a ``torch.export`` program with a dynamic batch size, in eval mode (BatchNorm
uses the member's running averages). Reading it needs no evogan::

    import torch
    g = torch.export.load("G.pt2").module()
    x = g(torch.randn(1000, 2))          # z drawn from the run's prior

The run's prior of z (``latent_distribution``, mean rescaling) and its shapes are
stored beside the program as ``evogan.json``; ``read_export_info(path)`` reads it
straight from the archive without loading the program. Loading a ``.pt2`` runs
code, as unpickling does: load only files you trust.
"""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import torch

from ..config import ConfigError
from .outputs import output_file
from .results import load_run

__all__ = ["export_generator", "read_export_info"]

META = "evogan.json"
MAX_INFO_BYTES = 1 << 20  # an export's info is a few hundred bytes


def export_generator(run_dir: str | Path, out: str | Path, member: int = 0, island: int = 0,
                     mixture: bool = False) -> Path:
    """Write population member ``member`` of island ``island`` of the run in ``run_dir`` to ``out`` (a ``.pt2``
    file); with ``mixture``, that member of every island as one program ``(z, component) -> samples`` whose info
    holds the islands' mixture weights (draw ``component`` from them). Returns ``out``."""
    out = output_file(out)
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
    torch.export.save(program, out, extra_files={META: json.dumps(info)})
    return out


def read_export_info(path: str | Path) -> dict:
    """The ``evogan.json`` stored with an exported generator, read straight from the archive (a zip file): the
    program is never loaded, so reading the info of a file from elsewhere runs none of its code (loading the program
    with ``torch.export.load`` unpickles parts of it, which can run code, as a pickle can)."""
    path = Path(path)
    try:
        with zipfile.ZipFile(path) as archive:
            entries = [e for e in archive.infolist() if e.filename.split("/")[-2:] == ["extra", META]]
            if not entries:
                raise ConfigError(f"{path}: no {META} in it (not a generator written by evogan export)")
            if entries[0].file_size > MAX_INFO_BYTES:
                raise ConfigError(f"{path}: its {META} is {entries[0].file_size} bytes, more than an evogan export "
                                  f"writes ({MAX_INFO_BYTES}); the file is damaged or was not written by evogan")
            return json.loads(archive.read(entries[0]).decode("utf-8"))
    except (zipfile.BadZipFile, UnicodeDecodeError, json.JSONDecodeError) as err:
        raise ConfigError(f"{path}: not a readable evogan export ({type(err).__name__}: {err})") from None
    except OSError as err:
        raise ConfigError(f"{path}: cannot read it ({err.strerror or err})") from None
