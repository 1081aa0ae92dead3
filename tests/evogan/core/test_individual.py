"""The DEAP individual: weights, Adam state, lineage, fitness; pickles and clones whole."""

import copy
import pickle

import torch
from deap import creator

from evogan.core.adam import adam_init
from evogan.core.individual import Individual, same_individual


def make():
    w = {"w": torch.arange(4.0)}
    ind = Individual(w, adam=adam_init(w), lineage={"id": "g3.p0.heuristic", "parents": ["g2.p1.minimax"]})
    ind.scores.update(f_q=0.4, f_d=1.5)
    ind.fitness.values = (0.55,)
    return ind


def test_is_a_deap_creator_class_with_a_maximised_fitness():
    assert Individual is creator.EvoganIndividual
    assert Individual().fitness.weights == (1.0,)


def test_pickle_round_trip_keeps_everything():
    ind = make()
    back = pickle.loads(pickle.dumps(ind))
    assert type(back) is Individual
    assert torch.equal(back["w"], ind["w"]) and back.fitness.values == (0.55,)
    assert back.lineage == ind.lineage and back.scores == ind.scores
    assert torch.equal(back.adam["exp_avg"]["w"], torch.zeros(4)) and back.adam["step"] == 0
    assert creator.EvoganIndividual is Individual  # DEAP did not re-create the class on load
    unevaluated = pickle.loads(pickle.dumps(Individual({"w": torch.ones(1)})))
    assert not unevaluated.fitness.valid


def test_clone_is_independent_and_similar_by_identity():
    ind = make()
    twin = copy.deepcopy(ind)
    twin["w"].add_(1)
    twin.lineage["id"] = "other"
    assert torch.equal(ind["w"], torch.arange(4.0)) and ind.lineage["id"] == "g3.p0.heuristic"
    assert same_individual(ind, copy.deepcopy(ind)) and not same_individual(ind, twin)
