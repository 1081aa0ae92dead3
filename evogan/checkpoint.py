"""Exact checkpoints: the whole state of a run as plain data, written atomically, loaded safely.

A checkpoint holds the population (weights, BatchNorm buffers, Adam states,
lineage, scores, fitness), the discriminator family's state (weights,
optimizer, BEGAN's k_t), the hall of fame, the logbook with its chapters,
DynGAN's niches, partitions and detector, and the runner's own records
(metric history, rows, wall time, 2-D snapshots). No random-generator state is
needed: every draw of a run comes from a stream seeded by the run seed and the
draw's identity (generation, parent, ...), so generation g + 1 after a resume
draws exactly what it would have drawn.

Files are ``checkpoints/gen<NNNNNNNN>.pt``, written by ``torch.save`` to a
temporary file in the same folder, flushed to disk, then renamed over the
final name: a crash or a full disk leaves the previous checkpoints intact and
never a half-written one under a checkpoint's name. They contain only
tensors, dicts, lists, strings and numbers, and are read with
``torch.load(weights_only=True)``, which refuses anything else (no pickled
code). A file that fails to load (truncated, corrupt) is reported and the
next older one is used.
"""

from __future__ import annotations

import os
import warnings
from pathlib import Path

import numpy as np
import torch

from .individual import Individual
from .parallel.kit import tree_map

__all__ = ["plain", "experiment_state", "restore_experiment", "save_checkpoint", "load_latest_checkpoint",
           "CHECKPOINT_VERSION"]

CHECKPOINT_VERSION = 1


def _plain_leaf(leaf):
    if isinstance(leaf, torch.Tensor):
        leaf = leaf.detach()
        # torch.save writes a view's whole storage: a child of the vectorised backend is a slice of its generation
        return leaf.clone() if leaf.untyped_storage().nbytes() > leaf.numel() * leaf.element_size() else leaf
    if isinstance(leaf, np.ndarray):
        return torch.from_numpy(leaf)
    return leaf.item()  # a numpy scalar


def plain(obj):
    """``obj`` with numpy scalars and arrays turned into Python numbers and tensors (what weights_only loads)."""
    return tree_map(_plain_leaf, obj, leaf=(torch.Tensor, np.ndarray, np.generic))


def _individual_state(ind) -> dict:
    return {"weights": dict(ind), "adam": ind.adam, "lineage": ind.lineage, "scores": ind.scores,
            "fitness": list(ind.fitness.values) if ind.fitness.valid else None}


def _individual(state: dict) -> Individual:
    ind = Individual(state["weights"], adam=state["adam"], lineage=state["lineage"], scores=state["scores"])
    if state["fitness"] is not None:
        ind.fitness.values = tuple(state["fitness"])
    return ind


def _logbook_state(logbook) -> dict:
    return {"rows": [dict(row) for row in logbook],
            "chapters": {name: [dict(row) for row in book] for name, book in logbook.chapters.items()}}


def _fill_logbook(logbook, state: dict) -> None:
    logbook.clear()
    logbook.chapters.clear()
    logbook.extend(state["rows"])
    for name, rows in state["chapters"].items():
        logbook.chapters[name].extend(rows)


def _fill_halloffame(halloffame, states: list) -> None:
    halloffame.clear()
    for state in states:
        halloffame.insert(_individual(state))


def _niche_state(niche) -> dict:
    return {"population": [_individual_state(i) for i in niche.population], "adversary": niche.adversary.state_dict(),
            "indices": niche.data.indices, "logbook": _logbook_state(niche.logbook),
            "halloffame": [_individual_state(i) for i in niche.halloffame]}


def experiment_state(ex) -> dict:
    """Everything ``restore_experiment`` needs to continue ``ex`` exactly, as plain data."""
    state = {
        "version": CHECKPOINT_VERSION,
        "generation": ex.generation,
        "population": [_individual_state(i) for i in ex.population],
        "adversary": ex.adversary.state_dict(),
        "halloffame": [_individual_state(i) for i in ex.halloffame],
        "logbook": _logbook_state(ex.logbook),
        "niches": None,
    }
    if ex.niches is not None:
        niches = ex.niches
        state["niches"] = {
            "main_indices": niches.niches[0].data.indices,
            "others": [_niche_state(n) for n in niches.niches[1:]],
            "detector": {"average": niches.detector.average, "seen": niches.detector.seen},
            "history": niches.history, "splits": niches.splits,
        }
    return plain(state)


def restore_experiment(ex, state: dict) -> None:
    """Put ``state`` (from ``experiment_state``) into a freshly built experiment of the same config."""
    if state.get("version") != CHECKPOINT_VERSION:
        raise ValueError(f"checkpoint version {state.get('version')!r}; this evogan reads version {CHECKPOINT_VERSION}")
    state = tree_map(lambda t: t.to(ex.device), state)  # checkpoints load on the CPU
    ex.generation = state["generation"]
    ex.population[:] = [_individual(s) for s in state["population"]]
    ex.adversary.load_state_dict(state["adversary"])
    _fill_halloffame(ex.halloffame, state["halloffame"])
    _fill_logbook(ex.logbook, state["logbook"])
    saved = state["niches"]
    if saved is None:
        return
    niches = ex.niches
    niches.niches[0].data.indices = saved["main_indices"]
    del niches.niches[1:]
    for niche_state in saved["others"]:
        niche = niches._spawn(niches.niches[0], niche_state["indices"])
        niche.population[:] = [_individual(s) for s in niche_state["population"]]
        niche.adversary.load_state_dict(niche_state["adversary"])
        _fill_logbook(niche.logbook, niche_state["logbook"])
        _fill_halloffame(niche.halloffame, niche_state["halloffame"])
        niches.niches.append(niche)
    niches.detector.average.copy_(saved["detector"]["average"])
    niches.detector.seen.copy_(saved["detector"]["seen"])
    niches.history[:] = saved["history"]
    niches.splits[:] = saved["splits"]


def save_checkpoint(folder: Path, generation: int, state: dict, keep: int = 2) -> Path:
    """Write ``state`` atomically as ``folder/gen<generation>.pt``; keep the newest ``keep`` checkpoints."""
    folder.mkdir(parents=True, exist_ok=True)
    final = folder / f"gen{generation:08d}.pt"
    temporary = folder / f".{final.name}.tmp"
    try:
        with open(temporary, "wb") as file:
            torch.save(state, file)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, final)
    except OSError as err:
        temporary.unlink(missing_ok=True)  # a full disk: no half-written file stays behind
        raise OSError(err.errno, f"cannot write the checkpoint {final}: {err.strerror or err}") from None
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    for old in sorted(folder.glob("gen*.pt"))[:-keep]:
        old.unlink(missing_ok=True)
    return final


def load_latest_checkpoint(folder: Path) -> tuple[dict, Path]:
    """The newest checkpoint in ``folder`` that loads; older ones are tried when a newer one is damaged."""
    candidates = sorted(Path(folder).glob("gen*.pt"), reverse=True)
    if not candidates:
        raise FileNotFoundError(f"no checkpoint in {folder}")
    for path in candidates:
        try:
            state = torch.load(path, map_location="cpu", weights_only=True)
            if not isinstance(state, dict) or "generation" not in state:
                raise ValueError("not an evogan checkpoint")
            return state, path
        except Exception as err:  # noqa: BLE001 -- any damage: report and fall back
            warnings.warn(f"checkpoint {path} is damaged ({type(err).__name__}: {err}); trying the previous one",
                          RuntimeWarning, stacklevel=2)
    raise FileNotFoundError(f"no readable checkpoint in {folder}: all {len(candidates)} are damaged")
