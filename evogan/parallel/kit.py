"""What a worker needs to turn recipes into children, and moving tensors between devices."""

from __future__ import annotations

import copy
import dataclasses
from dataclasses import dataclass
from typing import Callable

import torch
from deap import base

from ..core.algorithms import breed as default_breed
from ..core.algorithms import mutation_names
from ..core.individual import Genome, Individual

__all__ = ["BreedingKit", "tree_map", "move", "pack", "unpack", "WireTensor"]


@dataclass
class BreedingKit:
    """The strategy's breeding operators and the networks they are bound to.

    ``operators`` are the toolbox's ``mutate_<name>`` functions and
    ``evaluate``; ``breed`` is the function behind ``toolbox.breed``
    (``algorithms.breed`` unless a user replaced it). They are bound (by
    ``functools.partial``) to ``generator``, the architecture individuals are
    swapped into, and to ``adversary``, the discriminator family.

    A parallel backend ships ``replicate()`` to each worker once per run: the
    same operators re-bound to copies of the two networks, the discriminator
    without its optimizer (workers never train it). The data, the selection
    and the discriminator's training stay in the main process; every
    generation a replica only needs the discriminator's current weights
    (``adversary.shared_state()``, loaded with :meth:`sync`) and the judge.
    """

    operators: dict
    breed: Callable
    generator: torch.nn.Module
    adversary: object

    @classmethod
    def from_toolbox(cls, toolbox, *, generator, adversary) -> "BreedingKit":
        names = ["mutate_" + name for name in mutation_names(toolbox)] + ["evaluate"]
        breed = getattr(toolbox.breed, "func", default_breed)
        return cls({name: getattr(toolbox, name) for name in names}, breed, generator, adversary)

    def replicate(self, device="cpu") -> "BreedingKit":
        """A copy on ``device``: the operators re-bound to copies of the generator and of the discriminator.

        ``copy.deepcopy`` with a memo swaps the two networks wherever the
        operators' partials refer to them; loss functions are plain functions
        and are shared.
        """
        if not hasattr(self.adversary, "replica"):
            raise TypeError(
                f"the discriminator family {type(self.adversary).__name__} has no replica() method, so it cannot "
                "run on parallel workers; use parallel.backend = 'inprocess' or add replica(), shared_state() "
                "and load_shared_state() (see evogan.adversaries.StandardAdversary)"
            )
        generator = copy.deepcopy(self.generator).to(device)
        adversary = self.adversary.replica(device)
        memo = {id(self.generator): generator, id(self.adversary): adversary}
        return BreedingKit(copy.deepcopy(self.operators, memo), self.breed, generator, adversary)

    def sync(self, shared_state: dict) -> None:
        """Bring the replica's discriminator to this generation's weights."""
        self.adversary.load_shared_state(shared_state)

    def toolbox(self) -> base.Toolbox:
        """A toolbox with the operators and ``breed`` bound to it, as ``algorithms.breed`` expects."""
        toolbox = base.Toolbox()
        for name, fn in self.operators.items():
            setattr(toolbox, name, fn)
        toolbox.register("breed", self.breed, toolbox=toolbox)
        return toolbox


def tree_map(fn, obj, leaf=torch.Tensor):
    """``obj`` with ``fn`` applied to every ``leaf`` inside individuals, dicts, lists, tuples and dataclasses."""
    if isinstance(obj, leaf):
        return fn(obj)
    if isinstance(obj, Genome):
        twin = Individual(tree_map(fn, dict(obj), leaf), adam=tree_map(fn, obj.adam, leaf),
                          lineage=obj.lineage, scores=obj.scores)
        if obj.fitness.valid:
            twin.fitness.values = obj.fitness.values
        return twin
    if isinstance(obj, dict):
        return {key: tree_map(fn, value, leaf) for key, value in obj.items()}
    if isinstance(obj, (list, tuple)):
        return type(obj)(tree_map(fn, value, leaf) for value in obj)
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return dataclasses.replace(obj, **{f.name: tree_map(fn, getattr(obj, f.name), leaf)
                                           for f in dataclasses.fields(obj) if f.init})
    return obj


def move(obj, device):
    """``obj`` with every tensor on ``device`` (see :func:`tree_map`); tensors already there are not copied.

    Copies out of a GPU are asynchronous into pinned host memory, then
    synchronised once, so a whole individual costs one wait, not one per tensor.
    """
    device = torch.device(device)
    involved = set()

    def to(tensor):
        if tensor.device == device:
            return tensor
        involved.update((tensor.device.type, device.type))
        return tensor.to(device, non_blocking=True)

    moved = tree_map(to, obj)
    if "cuda" in involved:
        torch.cuda.synchronize()
    return moved


class WireTensor:
    """A tensor as Ray ships it fastest: its bytes as a numpy array (pickled out of band, no copy).

    Ray pickles a torch tensor through ``torch.save``, which costs about 0.1 ms
    per tensor each way; numpy arrays travel as raw buffers.
    """

    __slots__ = ("data", "dtype", "shape")

    def __init__(self, tensor: torch.Tensor):
        tensor = tensor.detach().contiguous()
        self.dtype, self.shape = tensor.dtype, tuple(tensor.shape)
        self.data = tensor.reshape(-1).view(torch.uint8).numpy()  # any dtype, bfloat16 included

    def tensor(self, device) -> torch.Tensor:
        """The tensor on ``device``; to a GPU through pinned memory (an asynchronous copy)."""
        if self.data.nbytes == 0:
            return torch.empty(self.shape, dtype=self.dtype, device=device)
        if device.type == "cuda":
            staging = torch.empty(self.data.nbytes, dtype=torch.uint8, pin_memory=True)
            staging.numpy()[:] = self.data
            flat = staging.to(device, non_blocking=True)
        else:
            flat = torch.from_numpy(self.data.copy())  # Ray's buffers are read-only
        return flat.view(self.dtype).reshape(self.shape)


def pack(obj):
    """``obj`` ready for Ray: every tensor on the CPU as a :class:`WireTensor`."""
    return tree_map(WireTensor, move(obj, "cpu"))


def unpack(obj, device):
    """The inverse of :func:`pack`, onto ``device``."""
    device = torch.device(device)
    unpacked = tree_map(lambda wire: wire.tensor(device), obj, leaf=WireTensor)
    if device.type == "cuda":
        torch.cuda.synchronize()
    return unpacked
