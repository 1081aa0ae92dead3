"""The vectorised backend: the same children, fitness and selection as in process, and clear refusals."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

import operators
from evogan import Config, ConfigError, Experiment


def evolve(backend: str, register=None, **extra):
    base = dict(generations=6, population_size=3, batch_size=32, eval_batch_size=64, p_cross=0.5,
                model={"hidden": 16, "g_layers": 2, "d_layers": 2}, log={"progress": False, "plots": False},
                parallel={"backend": backend})
    base.update(extra)
    ex = Experiment(Config(**base))
    if register is not None:
        register(ex)
    ex.run()
    ex.close()
    return ex


def assert_same_run(a: Experiment, b: Experiment, rel=1e-5):
    """Same survivors (operators and lineage) every generation, fitness statistics and weights within rounding."""
    assert [r["survivors"] for r in a.logbook] == [r["survivors"] for r in b.logbook]
    assert [i.lineage for i in a.population] == [i.lineage for i in b.population]
    for name in ("fitness", "f_q", "f_d"):
        for x, y in zip(a.logbook.chapters[name], b.logbook.chapters[name]):
            assert y["avg"] == pytest.approx(x["avg"], rel=rel, abs=1e-7)
    for p, q in zip(a.population, b.population):
        assert p.keys() == q.keys()
        for k in p:
            torch.testing.assert_close(q[k], p[k], rtol=rel, atol=1e-6)
        assert p.adam["step"] == q.adam["step"]
        assert p.lineage.get("genes") == q.lineage.get("genes")


@pytest.mark.parametrize(
    "extra",
    [
        {},
        {"mutations": ["minimax", "heuristic+entropy", "least_squares"], "g_steps": 2},
        {"adversary": "began_v3", "mutations": ["began", "began+entropy"], "latent_dim": 4},
        {"model": {"hidden": 16, "g_layers": 2, "d_layers": 2, "g_activation": "esa", "d_activation": "ealrelu"}},
        {"latent_common_features": 2, "latent_mean_rescaling": True, "selection": "nsga2"},
        {"model": {"hidden": 16, "g_layers": 2, "d_layers": 2, "g_norm": "batch", "d_activation": "maxout",
                   "maxout_pieces": 3, "init_std": 0.02}, "pack": 4,
         "schedule": {"g": "cosine", "d": "step", "milestones": [3], "warmup": 1}},
        {"genes": {"lr_sigma": 0.3}},
    ],
    ids=["egan", "entropy-2-steps", "began_v3", "esa-ealrelu", "cft-mr-nsga2", "pacgan-nets-pack-schedule",
         "self-adaptive-lr"],
)
def test_vectorised_equals_in_process(extra):
    assert_same_run(evolve("inprocess", **extra), evolve("vectorized", **extra))


def test_chunks_of_the_population_give_the_same_run():
    sizes = []

    def count(ex):
        train = ex.backend._train
        ex.backend._train = lambda recipes: sizes.append(len(recipes)) or train(recipes)

    whole = evolve("vectorized", population_size=4)
    chunked = evolve("vectorized", count, population_size=4, parallel={"backend": "vectorized", "population_chunk": 5})
    assert sizes[:3] == [5, 5, 2]  # 12 children of generation 1 (one Adam step for all) in chunks
    assert_same_run(whole, chunked)


def test_a_nan_child_is_discarded_and_counted_as_in_process():
    def register(ex):
        def exploding(d_fake):
            return d_fake.mean() * float("nan")

        ex.toolbox.register("mutate_exploding", operators.mutate, loss=exploding, **ex.mutation_args)

    a, b = evolve("inprocess", register), evolve("vectorized", register)
    assert [r["discarded"] for r in b.logbook] == [r["discarded"] for r in a.logbook] == [3] * 6
    assert_same_run(a, b)


def test_a_users_own_mutation_runs_child_by_child_in_order():
    def register(ex):
        def hinge(parent, donor=None, *, seed=0):
            return operators.mutate(parent, donor, seed=seed, loss=lambda d: F.relu(1 - d).mean(), **ex.mutation_args)

        ex.toolbox.register("mutate_hinge", hinge)  # not an operators.mutate partial: the fallback path

    a, b = evolve("inprocess", register), evolve("vectorized", register)
    assert all(row["nevals"] == 12 for row in b.logbook)  # 3 parents x (3 losses + hinge)
    assert_same_run(a, b)


def test_batchnorm_generator_equals_in_process():
    """The DCGAN: per-child BatchNorm batch statistics and running averages, stacked along the population."""
    extra = dict(dataset="mnist", latent_dim=16, model={"width": 8}, batch_size=16, eval_batch_size=32,
                 generations=3, data={"max_images": 500})
    a, b = evolve("inprocess", **extra), evolve("vectorized", **extra)
    assert_same_run(a, b)
    means = [name for name in b.population[0] if name.endswith("running_mean")]
    assert means  # the children carry running averages of their own, and they moved away from the initial zeros
    assert all(float(ind[name].abs().sum()) > 0 for ind in b.population for name in means)


class _ThresholdGenerator(torch.nn.Module):
    """Data-dependent Python control flow: fine one child at a time, impossible under vmap."""

    def __init__(self, latent_dim: int):
        super().__init__()
        self.layer = torch.nn.Linear(latent_dim, 2)

    def forward(self, z):
        out = self.layer(z)
        return out if float(out.detach().mean()) > 0 else -out


def test_a_generator_vmap_cannot_run_is_refused_with_the_reason():
    from evogan.models import MODELS
    from evogan.models.mlp import mlp_models

    @MODELS.register("threshold_test")
    def threshold(config, data):
        return _ThresholdGenerator(config.latent_dim), mlp_models(config, data)[1]

    try:
        config = Config(model={"family": "threshold_test"}, population_size=2, log={"progress": False},
                        parallel={"backend": "vectorized"})
        ex = Experiment(config)
        with pytest.raises(ConfigError, match=r"_ThresholdGenerator\) cannot run under torch.func.vmap: .*inprocess"):
            ex.run(1)
        ex.close()
        inprocess = Experiment(Config(model={"family": "threshold_test"}, population_size=2, log={"progress": False}))
        inprocess.run(1)  # the same model is fine child by child
        assert inprocess.generation == 1
    finally:
        MODELS.unregister("threshold_test")
