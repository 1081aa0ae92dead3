"""PacGAN's 2-D networks: BatchNorm generator MLP, maxout discriminator, N(0, sigma) initialisation."""

from __future__ import annotations

import pytest
import torch
from torch import nn
from torch.func import functional_call, vmap

from evogan import Config, Experiment
from evogan.models import MLP, build_models, mlp_discriminator, mlp_generator
from evogan.models.mlp import Maxout
from evogan.core.sampling import run_with

REFERENCE = {"g_hidden": 400, "d_hidden": 200, "g_layers": 4, "d_layers": 3, "g_norm": "batch",
             "d_activation": "maxout", "maxout_pieces": 5, "init_std": 0.02}


def test_reference_networks_have_pacgans_shapes_and_parameter_counts():
    torch.manual_seed(0)
    from evogan.data import ring

    g, d = build_models(Config(model=REFERENCE), ring())
    linears = [m for m in g if isinstance(m, nn.Linear)]
    assert [(m.in_features, m.out_features, m.bias is not None) for m in linears] == \
        [(2, 400, False), (400, 400, False), (400, 400, False), (400, 400, False), (400, 2, True)]
    assert sum(isinstance(m, nn.BatchNorm1d) for m in g) == 4
    # G: 2*400 + 3*400*400 + 400*2 + 2 weights, 4 BatchNorms with scale and shift of 400
    assert sum(p.numel() for p in g.parameters()) == 800 + 3 * 160000 + 802 + 4 * 800
    # D: maxout layers of 200 units x 5 pieces: (2 -> 1000), (200 -> 1000) twice, then 200 -> 1
    assert sum(p.numel() for p in d.parameters()) == (2 * 1000 + 1000) + 2 * (200 * 1000 + 1000) + 201
    x = torch.randn(7, 2)
    assert d(x).shape == (7, 1) and g.eval()(x).shape == (7, 2)
    weights = torch.cat([m.weight.detach().flatten() for m in linears])
    assert 0.018 < float(weights.std()) < 0.022 and abs(float(weights.mean())) < 1e-3
    assert all(float(m.bias.detach().abs().max()) == 0 for m in d if isinstance(m, nn.Linear))


def test_maxout_takes_the_maximum_of_each_units_pieces():
    x = torch.tensor([[1.0, 5.0, -2.0, 0.0, -1.0, -3.0]])
    assert Maxout(3)(x).tolist() == [[5.0, 0.0]]
    assert Maxout(2)(x).tolist() == [[5.0, 0.0, -1.0]]


def test_batchnorm_generator_forward_with_equals_functional_call_and_updates_its_own_statistics():
    torch.manual_seed(1)
    g = mlp_generator(2, 6, 2, 2, batch_norm=True)
    assert isinstance(g, MLP) and g._direct
    weights = {k: v.clone() for k, v in g.state_dict().items()}
    twin = {k: v.clone() for k, v in g.state_dict().items()}
    z = torch.randn(9, 2)
    g.train()
    ours = run_with(g, weights, z)
    theirs = functional_call(g, twin, (z,), tie_weights=False)
    torch.testing.assert_close(ours, theirs, rtol=0, atol=0)
    for k in weights:  # the running averages moved the same way, and not in the module
        torch.testing.assert_close(weights[k], twin[k], rtol=0, atol=0)
    assert not torch.equal(weights["1.running_mean"], g.state_dict()["1.running_mean"])
    assert int(weights["1.num_batches_tracked"]) == 1
    g.eval()
    torch.testing.assert_close(run_with(g, weights, z), functional_call(g, weights, (z,)), rtol=0, atol=0)


def test_batchnorm_generator_and_maxout_run_under_vmap_as_one_stacked_population():
    torch.manual_seed(2)
    g, d = mlp_generator(2, 6, 2, 2, batch_norm=True), mlp_discriminator(2, 4, 2, maxout_pieces=3)
    states = [{k: v + 0.1 * i for k, v in g.state_dict().items()} for i in range(3)]
    z = torch.randn(3, 8, 2)
    g.train()
    stacked = {k: torch.stack([s[k].clone() for s in states]) for k in states[0]}
    batched = vmap(lambda w, x: run_with(g, w, x))(stacked, z)
    for i, state in enumerate(states):
        own = {k: v.clone() for k, v in state.items()}
        torch.testing.assert_close(batched[i], run_with(g, own, z[i]), rtol=1e-5, atol=1e-6)
        torch.testing.assert_close(stacked["1.running_var"][i], own["1.running_var"], rtol=1e-5, atol=1e-6)
    torch.testing.assert_close(vmap(d)(batched), torch.stack([d(b) for b in batched]), rtol=1e-5, atol=1e-6)


def test_a_crossover_child_takes_the_donors_batchnorm_statistics():
    ex = Experiment(Config(generations=1, population_size=2, batch_size=32, eval_batch_size=64, p_cross=1.0,
                           mutations=["heuristic"], model={"hidden": 8, "g_layers": 2, "d_layers": 2, "g_norm": "batch"},
                           log={"progress": False, "plots": False}))
    parent, donor = ex.population
    donor["1.running_mean"] += 3.0  # make the donor's statistics recognisable
    recipe = next(r for r in ex.toolbox.vary(ex.population, 1) if r.parent is parent)
    assert recipe.donor is donor
    child = ex.toolbox.breed(recipe, ex.toolbox.judge(generation=1))
    # momentum 0.1: the child's running mean is 0.9 * the donor's (3.0) + 0.1 * this batch's mean (the donor's
    # first layer on the ring: |mean| well below 1), nowhere near the parent's 0.9 * 0
    assert float((child["1.running_mean"] - 0.9 * donor["1.running_mean"]).abs().max()) < 0.1
    assert int(child["1.num_batches_tracked"]) == int(donor["1.num_batches_tracked"]) + 1
    assert child.adam["step"] == parent.adam["step"] + 1
    ex.close()


def test_pacgan_batch_norm_follows_blocks_update_rule_by_hand():
    from evogan.models.mlp import PacGANBatchNorm

    layer = PacGANBatchNorm(2)
    x = torch.tensor([[1.0, 0.0], [3.0, 0.0], [5.0, 6.0]])
    # column 0: mean 3, biased variance 8/3; column 1: mean 2, variance 8
    std = torch.tensor([(8 / 3 + 1e-4) ** 0.5, (8 + 1e-4) ** 0.5])
    y = layer.train()(x)
    assert torch.allclose(y, (x - torch.tensor([3.0, 2.0])) / std, atol=1e-6)
    # running averages: 0.95 * (0, 0) + 0.05 * mean; 0.95 * (1, 1) + 0.05 * the divisor (a standard deviation)
    assert torch.allclose(layer.running_mean, torch.tensor([0.15, 0.10]))
    assert torch.allclose(layer.running_std, 0.95 + 0.05 * std)
    layer.train()(x)
    assert torch.allclose(layer.running_mean, 0.95 * torch.tensor([0.15, 0.10]) + 0.05 * torch.tensor([3.0, 2.0]))
    # evaluation divides by the running standard deviation itself, no eps
    with torch.no_grad():
        layer.weight.copy_(torch.tensor([2.0, 1.0]))
        layer.bias.copy_(torch.tensor([0.5, -1.0]))
    z = torch.tensor([[1.0, 1.0]])
    expected = (z - layer.running_mean) / layer.running_std * torch.tensor([2.0, 1.0]) + torch.tensor([0.5, -1.0])
    assert torch.allclose(layer.eval()(z), expected)
    # torch's BatchNorm1d on the same batch differs (eps 1e-5 and the running *variance*, unbiased, momentum 0.1)
    torch_bn = nn.BatchNorm1d(2).train()
    torch_bn(x)
    assert not torch.allclose(torch_bn.running_var, layer.running_std)


def test_pacgan_batch_norm_generator_in_a_run_the_same_on_every_backend():
    from evogan.models.mlp import PacGANBatchNorm

    model = {"hidden": 8, "g_layers": 2, "d_layers": 2, "g_norm": "pacgan"}
    g, _ = build_models(Config(model=model), __import__("evogan.data", fromlist=["ring"]).ring())
    assert sum(isinstance(m, PacGANBatchNorm) for m in g) == 2 and all(
        m.bias is None for m in g if isinstance(m, nn.Linear) and m.out_features == 8)
    settings = dict(generations=4, population_size=2, batch_size=16, eval_batch_size=16, model=model,
                    metrics={"every": 2, "samples": 200}, log={"progress": False, "plots": False})
    runs = []
    for backend in ("inprocess", "vectorized"):
        experiment = Experiment(Config(**settings, parallel={"backend": backend}))
        experiment.run()
        runs.append(experiment)
    a, b = runs
    assert [r["d_loss"] for r in a.logbook] == pytest.approx([r["d_loss"] for r in b.logbook], rel=1e-5, abs=1e-7)
    stds = [m[k] for m in a.population for k in m if k.endswith("running_std")]
    # trained: moved away from 1 by the 0.05 averages, finite and positive
    assert stds and all(bool((s > 0).all()) and float((s - 1).abs().max()) > 1e-3 for s in stds)
    assert a.evaluate_metrics()["n_samples"] == 200
