"""DCGAN shapes, and BatchNorm statistics when children are cloned, trained and evaluated."""

from __future__ import annotations

import pytest
import torch

import operators
from evogan import Config, Experiment
from evogan.models import dcgan_discriminator, dcgan_generator
from evogan.core.sampling import generate


@pytest.mark.parametrize("size, channels", [(28, 1), (28, 3), (32, 3), (64, 3)])
def test_shapes_for_every_supported_size(size, channels):
    g = dcgan_generator(16, channels, size, width=8)
    d = dcgan_discriminator(channels, size, width=8)
    x = g(torch.randn(5, 16))
    assert x.shape == (5, channels, size, size)
    assert float(x.detach().abs().max()) <= 1.0
    assert d(x).shape == (5, 1)
    assert len(list(d.buffers())) == 0  # batch statistics only: scoring leaves nothing behind


def test_unsupported_size_is_refused():
    with pytest.raises(ValueError, match="28, 32, 64"):
        dcgan_generator(16, 1, 48)


@pytest.fixture(scope="module")
def experiment():
    config = Config(dataset="mnist", latent_dim=16, model={"width": 8}, population_size=2, batch_size=16,
                    eval_batch_size=32, generations=2, log={"progress": False, "plots": False})
    ex = Experiment(config)
    yield ex
    ex.close()


def _buffers(ind, experiment):
    return {k: ind[k].clone() for k, _ in experiment.generator.named_buffers()}


def test_mutation_gives_the_child_its_own_running_statistics(experiment):
    parent = experiment.population[0]
    before = _buffers(parent, experiment)
    assert before and all(k.endswith(("running_mean", "running_var", "num_batches_tracked")) for k in before)
    child = experiment.toolbox.mutate_minimax(parent, seed=1)
    for name, value in before.items():
        assert torch.equal(parent[name], value), f"parent's {name} changed"
        assert child[name].data_ptr() != parent[name].data_ptr()
    tracked = [k for k in before if k.endswith("num_batches_tracked")]
    assert all(int(child[k]) == int(parent[k]) + 1 for k in tracked)
    means = [k for k in before if k.endswith("running_mean")]
    assert all(not torch.equal(child[k], parent[k]) for k in means)


def test_sampling_never_changes_an_individual(experiment):
    ind = experiment.population[1]
    before = {k: v.clone() for k, v in ind.items()}
    z = torch.randn(20, 16)
    generate(experiment.generator, ind, z)
    generate(experiment.generator, ind, z, running_stats=True)
    experiment.toolbox.evaluate(experiment.toolbox.mutate_heuristic(ind, seed=2),
                                experiment.toolbox.judge(generation=1))
    assert all(torch.equal(ind[k], v) for k, v in before.items())


def test_running_statistics_make_each_sample_depend_on_its_own_latent_only(experiment):
    ind = experiment.population[0]
    z = torch.randn(8, 16)
    alone = generate(experiment.generator, ind, z[:3], running_stats=True)
    together = generate(experiment.generator, ind, z, running_stats=True)[:3]
    assert torch.allclose(alone, together, atol=1e-6)
    batch_alone = generate(experiment.generator, ind, z[:3])
    batch_together = generate(experiment.generator, ind, z)[:3]
    assert not torch.allclose(batch_alone, batch_together, atol=1e-4)  # batch statistics differ


def test_fitness_does_not_depend_on_evaluation_order(experiment):
    tb = experiment.toolbox
    judge = tb.judge(generation=1)
    children = [tb.mutate_minimax(p, seed=i) for i, p in enumerate(experiment.population)]
    forward = [tb.evaluate(c, judge) for c in children]
    backward = [tb.evaluate(c, judge) for c in reversed(children)][::-1]
    assert forward == backward


def test_crossover_child_takes_the_donors_statistics(experiment):
    parent, donor = experiment.population
    child = operators.mutate(parent, donor, **experiment.mutation_args, loss=operators.LOSSES.get("minimax"), seed=3)
    key = next(k for k, _ in experiment.generator.named_buffers() if k.endswith("num_batches_tracked"))
    assert int(child[key]) == int(donor[key]) + 1
