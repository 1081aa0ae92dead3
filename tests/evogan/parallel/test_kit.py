"""The breeding kit and the transfer helpers, without Ray."""

from __future__ import annotations

import pickle
from functools import partial

import pytest
import torch

from evogan import Experiment
from evogan.core.algorithms import Recipe
from evogan.parallel import BreedingKit, move, pack, unpack
from evogan.parallel.kit import WireTensor, tree_map
from evogan.core.seeding import torch_generator
from tests.conftest import affine_individual


def test_pack_unpack_round_trips_every_dtype_and_shape():
    tensors = {
        "f32": torch.randn(3, 4),
        "scalar": torch.tensor(2.5),
        "bf16": torch.randn(5).to(torch.bfloat16),
        "i64": torch.arange(6).reshape(2, 3),
        "bool": torch.tensor([True, False]),
        "strided": torch.randn(4, 6)[:, ::2],  # not contiguous
        "empty": torch.zeros(0, 3),
    }
    wire = pickle.loads(pickle.dumps(pack(tensors)))
    assert all(isinstance(w, WireTensor) for w in wire.values())
    back = unpack(wire, "cpu")
    for key, tensor in tensors.items():
        assert back[key].dtype == tensor.dtype and back[key].shape == tensor.shape, key
        assert torch.equal(back[key], tensor), key
    back["f32"].add_(1)  # unpacked tensors are writable and do not alias the wire buffers
    assert torch.equal(unpack(wire, "cpu")["f32"], tensors["f32"])


def test_pack_keeps_individuals_whole():
    ind = affine_individual(0.5, -1.0, ident="g3.p1.heuristic")
    ind.adam["step"] = 7
    ind.scores.update(f_q=0.4, f_d=-2.0)
    ind.fitness.values = (0.3,)
    back = unpack(pickle.loads(pickle.dumps(pack([ind]))), "cpu")[0]
    assert type(back) is type(ind) and back is not ind
    assert back.lineage == ind.lineage and back.scores == ind.scores and back.fitness.values == (0.3,)
    assert back.adam["step"] == 7 and float(back["a"]) == 0.5 and float(back["c"]) == -1.0
    assert set(back.adam["exp_avg"]) == {"a", "c"}


def test_move_copies_nothing_already_on_the_device():
    x = torch.randn(3)
    moved = move({"x": x, "nested": [x, (x,)]}, "cpu")
    assert moved["x"] is x and moved["nested"][0] is x and moved["nested"][1][0] is x


def test_tree_map_reaches_into_dataclasses():
    ind = affine_individual(1.0, 2.0)
    recipe = Recipe(parent=ind, donor=None, mutation="heuristic", seed=3, lineage={"id": "x"})
    doubled = tree_map(lambda t: t * 2, recipe)
    assert isinstance(doubled, Recipe) and doubled.seed == 3 and doubled.donor is None
    assert float(doubled.parent["a"]) == 2.0 and float(recipe.parent["a"]) == 1.0


def _breed_one(kit: BreedingKit, recipe, judge):
    return kit.toolbox().breed(recipe, judge)


def test_a_replica_breeds_the_same_child_as_the_original(small_config):
    ex = Experiment(small_config)
    ex.run(2)  # D and the population are no longer at their initial values
    kit = BreedingKit.from_toolbox(ex.toolbox, generator=ex.generator, adversary=ex.adversary)
    replica = pickle.loads(pickle.dumps(kit.replicate("cpu")))  # what a worker receives
    # the operators are bound to the replica's networks, not to the main process's
    mutate = replica.operators["mutate_heuristic"]
    assert mutate.keywords["generator"] is replica.generator is not ex.generator
    assert mutate.keywords["discriminate"] is replica.adversary is not ex.adversary
    assert replica.operators["evaluate"].keywords["adversary"] is replica.adversary

    ex.toolbox.train_discriminator(ex.population, generation=3)  # D moves on; the replica must follow
    replica.sync(unpack(pickle.loads(pickle.dumps(pack(ex.adversary.shared_state()))), "cpu"))
    judge = ex.toolbox.judge(generation=3)
    for recipe in ex.toolbox.vary(ex.population, 3):
        mine, theirs = ex.toolbox.breed(recipe, judge), _breed_one(replica, recipe, judge)
        assert theirs.fitness.values == mine.fitness.values and theirs.scores == mine.scores
        assert all(torch.equal(theirs[k], mine[k]) for k in mine)


def test_an_unsynced_replica_scores_differently(small_config):
    """The sync is what makes replicas agree: without it the replica judges with stale weights."""
    ex = Experiment(small_config)
    kit = BreedingKit.from_toolbox(ex.toolbox, generator=ex.generator, adversary=ex.adversary)
    replica = kit.replicate("cpu")
    ex.toolbox.train_discriminator(ex.population, generation=1)
    judge = ex.toolbox.judge(generation=1)
    recipe = ex.toolbox.vary(ex.population, 1)[0]
    assert _breed_one(replica, recipe, judge).scores != ex.toolbox.breed(recipe, judge).scores


def test_a_family_without_replica_is_refused_with_the_reason(small_config):
    ex = Experiment(small_config)

    class Bare:
        def __call__(self, x):
            return x

    kit = BreedingKit(operators={}, breed=partial(print), generator=ex.generator, adversary=Bare())
    with pytest.raises(TypeError, match="replica"):
        kit.replicate()


def test_latents_follow_their_generator_device():
    from operators import normal, uniform

    rng = torch_generator(0, "z")
    assert normal(4, rng, dim=3).shape == (4, 3) and uniform(4, rng, dim=2).device.type == "cpu"
