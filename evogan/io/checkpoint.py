"""Exact checkpoints: the whole state of a run as plain data, written atomically, loaded safely.

A checkpoint holds the population (weights, BatchNorm buffers, Adam states,
lineage, scores, fitness), the discriminator family's state (weights,
optimizer, BEGAN's k_t), the hall of fame, the logbook with its chapters,
DynGAN's niches, partitions and detector, and the runner's own records
(metric history, rows, wall time, 2-D snapshots). No random-generator state is
needed: every draw of a run comes from a stream seeded by the run seed and the
draw's identity (generation, parent, ...), so generation g + 1 after a resume
draws exactly what it would have drawn.

Files are ``checkpoints/gen<NNNNNNNN>.pt``: a header line, the SHA-256 digest
of the payload, then the payload as ``torch.save`` writes it. They are written
to a temporary file in the same folder, flushed to disk, read back and
checked, then renamed over the final name: a crash or a full disk leaves the
previous checkpoints intact and never a half-written one under a checkpoint's
name. They contain only tensors, dicts, lists, strings and numbers, and are
read with ``torch.load(weights_only=True)``, which refuses anything else (no
pickled code), after the digest is checked (torch itself does not check the
zip's CRCs, so flipped bytes in tensor data would load silently). A file that
is not a regular file, fails its digest, does not load, or does not fit the
run's networks is damaged: it is reported in one line, set aside as
``<name>.damaged`` (so pruning never counts it) and the next older one is used.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import os
import pickle
import stat
import warnings
import zipfile
from pathlib import Path

import numpy as np
import torch

from ..core.state import (deme_state, fill_halloffame, fill_logbook, individual_from_state, individual_state,
                          load_deme_state, logbook_state)
from ..parallel.kit import tree_map

__all__ = ["plain", "individual_state", "individual_from_state", "experiment_state", "restore_experiment", "check_fits", "save_checkpoint", "read_checkpoint",
           "load_latest_checkpoint", "checkpoint_files", "DamagedCheckpoint", "CHECKPOINT_VERSION"]

CHECKPOINT_VERSION = 1
HEADER = b"evogan checkpoint, sha256 of the payload follows\n"


class DamagedCheckpoint(ValueError):
    """A checkpoint file that must not be resumed from; the message says why, in a few words."""


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


def _niche_state(niche) -> dict:
    return {**deme_state(niche), "indices": niche.data.indices}


def experiment_state(ex) -> dict:
    """Everything ``restore_experiment`` needs to continue ``ex`` exactly, as plain data."""
    state = {
        "version": CHECKPOINT_VERSION,
        "generation": ex.generation,
        "population": [individual_state(i) for i in ex.population],
        "adversary": ex.adversary.state_dict(),
        "halloffame": [individual_state(i) for i in ex.halloffame],
        "logbook": logbook_state(ex.logbook),
        "niches": None,
    }
    if ex.niches is not None:
        niches = ex.niches
        state["niches"] = {
            "main_indices": niches.demes[0].data.indices,
            "others": [_niche_state(n) for n in niches.demes[1:]],
            "detector": {"average": niches.detector.average, "seen": niches.detector.seen},
            "history": niches.history, "splits": niches.splits,
        }
    if ex.islands is not None:  # islands 1..K-1 (island 0 is the state above) and the mixture
        state["islands"] = {"demes": [d.state() for d in ex.demes[1:]], "weights": ex.islands.weights.tolist(),
                            "score": ex.islands.score}
    return plain(state)


def restore_experiment(ex, state: dict) -> None:
    """Put ``state`` (from ``experiment_state``) into a freshly built experiment of the same config."""
    if state.get("version") != CHECKPOINT_VERSION:
        raise ValueError(f"checkpoint version {state.get('version')!r}; this evogan reads version {CHECKPOINT_VERSION}")
    state = tree_map(lambda t: t.to(ex.device), state)  # checkpoints load on the CPU
    ex.generation = state["generation"]
    ex.population[:] = [individual_from_state(s) for s in state["population"]]
    ex.adversary.load_state_dict(state["adversary"])
    fill_halloffame(ex.halloffame, state["halloffame"])
    fill_logbook(ex.logbook, state["logbook"])
    if state.get("islands") is not None:
        for deme, saved_deme in zip(ex.demes[1:], state["islands"]["demes"], strict=True):
            deme.load_state(saved_deme)
        ex.islands.weights = np.asarray(state["islands"]["weights"], float)
        ex.islands.score = state["islands"]["score"]
    saved = state["niches"]
    if saved is None:
        return
    niches = ex.niches
    niches.demes[0].data.indices = saved["main_indices"]
    del niches.demes[1:]
    for niche_state in saved["others"]:
        niche = niches._spawn(niches.demes[0], niche_state["indices"])
        load_deme_state(niche, niche_state)
        niches.demes.append(niche)
    niches.detector.average.copy_(saved["detector"]["average"])
    niches.detector.seen.copy_(saved["detector"]["seen"])
    niches.history[:] = saved["history"]
    niches.splits[:] = saved["splits"]


def _tensors(state, prefix=""):
    """(path, tensor) of every tensor in a nested state."""
    if isinstance(state, torch.Tensor):
        yield prefix, state
    elif isinstance(state, dict):
        for key, value in state.items():
            yield from _tensors(value, f"{prefix}.{key}" if prefix else str(key))
    elif isinstance(state, (list, tuple)):
        for index, value in enumerate(state):
            yield from _tensors(value, f"{prefix}[{index}]")


def check_fits(ex, state: dict) -> None:
    """Raise DamagedCheckpoint unless ``state`` (from ``experiment_state``) fits ``ex``'s networks: every member holds
    the generator's tensors and the discriminator state holds D's, with the same shapes and dtypes, all finite."""
    if not isinstance(state, dict) or state.get("version") != CHECKPOINT_VERSION:
        raise DamagedCheckpoint(f"checkpoint version {state.get('version') if isinstance(state, dict) else None!r}; "
                                f"this evogan reads version {CHECKPOINT_VERSION}")
    generator = dict(_tensors(dict(ex.population[0])))  # the live tensors: no copy of the whole state
    try:
        checks = [(f"population[{i}].weights", dict(_tensors(member["weights"])), generator, True)
                  for i, member in enumerate(state["population"])]
        # the fresh adversary has no optimizer moments yet: its own tensors must be there, more may be
        checks.append(("adversary", dict(_tensors(state["adversary"])), dict(_tensors(ex.adversary.state_dict())), False))
    except (KeyError, TypeError) as err:
        raise DamagedCheckpoint(f"missing part {err}") from None
    generation = state.get("generation")
    if not isinstance(generation, int) or isinstance(generation, bool) or generation < 0:
        raise DamagedCheckpoint(f"its generation {generation!r} is not a generation count")
    members = len(ex.population)
    if len(state["population"]) != members:
        raise DamagedCheckpoint(f"it holds {len(state['population'])} population member(s), the run keeps {members}")
    islands = (state.get("islands") or {}).get("demes", [])
    if len(islands) != len(ex.demes) - (1 if ex.islands is not None else len(ex.demes)):
        raise DamagedCheckpoint(f"it holds {len(islands) + 1} island(s), the run has {len(ex.demes)}")
    adversary = checks[-1][2]
    try:
        for k, deme in enumerate(islands, 1):  # every island is checked as island 0 is
            if len(deme["population"]) != members:
                raise DamagedCheckpoint(f"island {k} holds {len(deme['population'])} member(s), the run keeps {members}")
            missing = {"logbook", "halloffame"} - set(deme)
            if missing:
                raise DamagedCheckpoint(f"missing part {sorted(missing)[0]!r} of island {k}")
            checks += [(f"islands[{k}].population[{i}].weights", dict(_tensors(member["weights"])), generator, True)
                       for i, member in enumerate(deme["population"])]
            checks.append((f"islands[{k}].adversary", dict(_tensors(deme["adversary"])), adversary, False))
        if ex.islands is not None:
            _check_mixture_weights(state["islands"]["weights"], len(ex.demes))
    except (KeyError, TypeError) as err:
        raise DamagedCheckpoint(f"missing part {err}") from None
    for where, found, wanted, exact in checks:
        missing, extra = set(wanted) - set(found), set(found) - set(wanted)
        if missing or (exact and extra):
            raise DamagedCheckpoint(f"{where} holds other tensors than the run's networks "
                                    f"(e.g. {sorted(missing or extra)[0]})")
        for name, tensor in wanted.items():
            if (found[name].shape, found[name].dtype) != (tensor.shape, tensor.dtype):
                raise DamagedCheckpoint(f"{where}.{name} is {tuple(found[name].shape)} {found[name].dtype}, "
                                        f"the run's network has {tuple(tensor.shape)} {tensor.dtype}")
        # a sound run never stores a non-finite weight or moment (such a child is discarded, such a D stops the run)
        bad = next((name for name, tensor in found.items()
                    if tensor.is_floating_point() and not bool(torch.isfinite(tensor).all())), None)
        if bad is not None:
            raise DamagedCheckpoint(f"{where}.{bad} holds NaN or infinite values (the run had diverged)")


def _check_mixture_weights(weights, count: int) -> None:
    values = np.asarray(weights if isinstance(weights, (list, tuple)) else [np.nan], dtype=float)
    if values.shape != (count,) or not np.all(np.isfinite(values) & (values >= 0)) or abs(values.sum() - 1) > 1e-6:
        raise DamagedCheckpoint(f"its island mixture weights {weights!r:.60} are not {count} finite non-negative "
                                "weights summing to 1")


def save_checkpoint(folder: Path, generation: int, state: dict, keep: int = 2) -> Path:
    """Write ``state`` atomically as ``folder/gen<generation>.pt``, check it by reading it back, then keep the newest
    ``keep`` checkpoints up to this one (a newer file can only be one set aside as damaged)."""
    folder.mkdir(parents=True, exist_ok=True)
    final = folder / f"gen{generation:08d}.pt"
    temporary = folder / f".{final.name}.tmp"
    buffer = io.BytesIO()
    torch.save(state, buffer)  # in memory: a full disk fails below, in write(), with an OSError
    payload = buffer.getbuffer()
    try:
        with open(temporary, "wb") as file:
            file.write(HEADER)
            file.write(hashlib.sha256(payload).digest())
            file.write(payload)
            file.flush()
            os.fsync(file.fileno())
        _verified_payload(temporary)
        os.replace(temporary, final)
    except (OSError, DamagedCheckpoint) as err:
        temporary.unlink(missing_ok=True)  # a full disk: no half-written file stays behind
        reason = err.strerror if isinstance(err, OSError) and err.strerror else err
        raise OSError(getattr(err, "errno", None), f"cannot write the checkpoint {final}: {reason}") from None
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    for old in checkpoint_files(folder, up_to=generation)[keep:]:
        old.unlink(missing_ok=True)
    return final


def checkpoint_files(folder: Path, up_to: int | None = None) -> list[Path]:
    """Checkpoint files in ``folder``, newest first (by generation number), optionally only those up to ``up_to``."""
    found = []
    for path in Path(folder).glob("gen*.pt"):
        number = path.stem[3:]
        if number.isdigit() and (up_to is None or int(number) <= up_to):
            found.append((int(number), path))
    return [path for _, path in sorted(found, reverse=True)]


def loadable_bytes() -> int:
    """Half the memory this machine has free now: a checkpoint larger than that is not one evogan wrote here."""
    try:
        return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE") // 2
    except (ValueError, OSError, AttributeError):  # no sysconf (Windows): no limit
        return 1 << 62


def _verified_payload(path: Path) -> bytes | io.BytesIO:
    """The payload of a checkpoint file after its checks; a file of evogan before digests is checked by its zip's
    CRC-32s instead."""
    info = os.stat(path)
    if not stat.S_ISREG(info.st_mode):
        raise DamagedCheckpoint("not a regular file")  # a FIFO would block open() for ever
    limit = loadable_bytes()
    if info.st_size > limit:
        raise DamagedCheckpoint(f"it is {info.st_size / 2 ** 30:.1f} GiB, more than half this machine's free memory "
                                f"({limit / 2 ** 30:.1f} GiB): not read")
    with Path(path).open("rb") as file:
        head = file.read(len(HEADER) + 32)  # header and digest first: the body is read only for a file that has them
        if head.startswith(HEADER):
            digest, hasher = head[len(HEADER):], hashlib.sha256()
            for chunk in iter(lambda: file.read(1 << 20), b""):  # streamed: a huge forged file never sits in memory
                hasher.update(chunk)
            if hasher.digest() != digest:
                raise DamagedCheckpoint("its content does not match its SHA-256 digest")
            file.seek(len(HEADER) + 32)
            return file.read()
        if not head.startswith(b"PK\x03\x04"):
            raise DamagedCheckpoint("not a checkpoint file (no evogan header, no zip archive)")
        file.seek(0)
        data = file.read()
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:  # written before digests: a plain torch.save zip
            bad = archive.testzip()
    except (zipfile.BadZipFile, ValueError, OSError, EOFError) as err:
        raise DamagedCheckpoint(f"not a checkpoint file ({err})") from None
    if bad is not None:
        raise DamagedCheckpoint(f"its record {bad} fails its CRC check")
    return data


def read_checkpoint(path: str | Path) -> dict:
    """A checkpoint's state after checking the file (regular, digest); DamagedCheckpoint says what is wrong."""
    payload = _verified_payload(Path(path))
    try:
        state = torch.load(io.BytesIO(payload), map_location="cpu", weights_only=True)
    except pickle.UnpicklingError:  # torch's message advises loading with weights_only=False: never
        raise DamagedCheckpoint("it holds objects other than plain data, which are refused") from None
    except Exception as err:  # noqa: BLE001 -- torch's messages run over many lines
        first_line = str(err).strip().splitlines()[0] if str(err).strip() else ""
        raise DamagedCheckpoint(f"it does not load ({type(err).__name__}: {first_line[:100]})") from None
    if not isinstance(state, dict) or "generation" not in state:
        raise DamagedCheckpoint("not an evogan checkpoint")
    return state


def load_latest_checkpoint(folder: Path, check=None, set_aside: bool = True) -> tuple[dict, Path]:
    """The newest sound checkpoint in ``folder`` that passes ``check(state)``.

    Newer damaged files (``read_checkpoint`` raising DamagedCheckpoint) are reported in one line each and, with
    ``set_aside`` (a resume; readers pass False and leave the folder as it is), renamed ``<name>.damaged`` so they
    are never counted as checkpoints again; sound files that ``check`` rejects (another run's networks) are reported
    and left in place. Any other exception of ``check`` (a ConfigError) propagates.
    """
    candidates = checkpoint_files(folder)
    if not candidates:
        raise FileNotFoundError(f"no checkpoint in {folder}")
    for path in candidates:
        try:
            state = read_checkpoint(path)
            if state["generation"] != int(path.stem[3:]):
                raise DamagedCheckpoint(f"it says generation {state['generation']!r}, its name {path.name}")
        except DamagedCheckpoint as err:
            aside = f"; set aside as {path.name}.damaged" if set_aside else ""
            warnings.warn(f"checkpoint {path} is damaged ({err}){aside}, trying the previous one", RuntimeWarning,
                          stacklevel=2)
            if set_aside:
                with contextlib.suppress(OSError):  # a read-only folder: the warning still names it
                    os.replace(path, path.with_name(path.name + ".damaged"))
            continue
        try:
            if check is not None:
                check(state)
            return state, path
        except DamagedCheckpoint as err:  # sound, but not this run's: left in place (pruning never counts newer files)
            warnings.warn(f"checkpoint {path} does not fit this run ({err}); trying the previous one",
                          RuntimeWarning, stacklevel=2)
    raise FileNotFoundError(f"no checkpoint in {folder} is sound and fits this run ({len(candidates)} tried)")
