"""DynGAN: the collapse detector on a real trained D, k-means, splits into niches, proportional sampling, the loop."""

from __future__ import annotations

import math

import pytest
import torch

from evogan import Config, ConfigError, Experiment
from evogan.adversaries import StandardAdversary
from evogan.data import DATASETS
from evogan.models import mlp_discriminator
from evogan.populations.niches import CollapseDetector, kmeans, proportional_counts


def test_detector_moving_average_and_threshold_by_hand():
    detector = CollapseDetector(3, momentum=0.8, delta=0.1)
    index = torch.tensor([0, 2])
    detector.update(index, torch.tensor([1.0, 3.0]))  # first sight: the logit itself
    detector.update(index, torch.tensor([4.0, 1.0]))  # 0.8 * old + 0.2 * new
    assert detector.average.tolist() == pytest.approx([0.8 + 0.8, 0.0, 2.4 + 0.2])
    # threshold -log(0.1) = 2.3026: sample 2 (2.6) is collapsed, 0 (1.6) is not, 1 was never seen
    assert detector.collapsed(torch.arange(3)).tolist() == [False, False, True]
    detector.forget(torch.tensor([2]))
    assert detector.collapsed(torch.arange(3)).tolist() == [False, False, False]


def test_detector_flags_exactly_the_real_samples_of_the_modes_the_generator_never_makes():
    torch.manual_seed(0)
    grid = DATASETS["grid"]()
    missing = torch.tensor([0, 6, 12, 18, 24])  # five of the 25 modes
    covered = torch.tensor([m for m in range(25) if m not in missing.tolist()])
    rng = torch.Generator().manual_seed(1)
    config = Config(lr_d=5e-3)
    adversary = StandardAdversary(mlp_discriminator(2, 64, 2), config, "cpu")

    def make_fakes(parents, n, generator):  # a generator that covers 20 modes perfectly and never the other 5
        modes = covered[torch.randint(len(covered), (n,), generator=generator)]
        return grid.centres[modes] + grid.std * torch.randn(n, 2, generator=generator)

    pool = grid.sample(2000, rng)
    detector = CollapseDetector(len(pool))
    for generation in range(1, 251):
        adversary.train([None], make_fakes=make_fakes, sample_real=grid.sample, steps=2, batch_size=64, seed=0,
                        generation=generation)
        with torch.no_grad():
            detector.update(torch.arange(len(pool)), adversary(pool))
    of_missing_mode = torch.isin(torch.cdist(pool, grid.centres).argmin(1), missing)
    flagged = detector.collapsed(torch.arange(len(pool)))
    assert 0.15 < of_missing_mode.float().mean() < 0.25  # about 5/25 of the pool
    assert flagged[of_missing_mode].float().mean() > 0.97  # (nearly) every sample of the missing modes...
    assert flagged[~of_missing_mode].float().mean() < 0.01  # ...and (nearly) none of the covered ones


def test_kmeans_separates_blobs_and_caps_k():
    rng = torch.Generator().manual_seed(0)
    centres = torch.tensor([[0.0, 0.0], [5.0, 5.0], [-5.0, 5.0]])
    points = torch.cat([c + 0.3 * torch.randn(40, 2, generator=rng) for c in centres])
    labels = kmeans(points, 3, torch.Generator().manual_seed(2))
    groups = [set(labels[i * 40:(i + 1) * 40].tolist()) for i in range(3)]
    assert all(len(g) == 1 for g in groups) and len(set.union(*groups)) == 3  # one label per blob, all different
    assert kmeans(points[:2], 5, torch.Generator().manual_seed(0)).unique().numel() == 2


def test_proportional_counts():
    assert proportional_counts(10, [50, 30, 20]) == [5, 3, 2]
    assert proportional_counts(7, [1, 1, 1]) == [3, 2, 2]
    assert sum(proportional_counts(1001, [2259, 164, 77])) == 1001


def dyngan_config(**dyngan) -> Config:
    return Config(
        dataset="grid", generations=4, population_size=2, batch_size=32, eval_batch_size=64, p_cross=0.5,
        mutations=["minimax", "heuristic+entropy", "least_squares"],
        model={"hidden": 16, "g_layers": 2, "d_layers": 2}, log={"progress": False, "plots": False},
        dyngan={"enabled": True, "pool": 500, "every": 2, **dyngan},
    )


def test_a_split_moves_the_collapsed_samples_into_new_niches_and_sampling_follows_partition_sizes():
    ex = Experiment(dyngan_config(clusters=2, tau=0.05))
    niches = ex.niches
    pool = niches.pool
    # pretend D has called the samples right of x = 2 real with confidence for a while
    right = torch.nonzero(pool[:, 0] > 2.5).flatten()
    niches.detector.update(torch.arange(len(pool)), torch.where(pool[:, 0] > 2.5, 5.0, -1.0))
    niches._split(gen=2)
    sizes = niches.sizes()
    assert len(sizes) == 3 and sizes[0] == len(pool) - len(right) and sum(sizes[1:]) == len(right)
    moved = torch.cat([n.data.indices for n in niches.demes[1:]])
    assert set(moved.tolist()) == set(right.tolist())
    assert not niches.detector.seen[right].any()  # new niches start fresh averages
    assert niches.splits == [{"generation": 2, "parent": 0, "sizes": sizes[1:]}]
    assert niches.demes[1].adversary is not ex.adversary
    assert torch.equal(niches.demes[1].adversary.discriminator[0].weight, ex.adversary.discriminator[0].weight)
    # the ensemble's samples come from each niche in proportion to its partition: niche i's G outputs (1000 i, 0)
    for i, niche in enumerate(niches.demes):
        for ind in niche.population:
            ind["4.weight"], ind["4.bias"] = torch.zeros(2, 16), torch.tensor([1000.0 * i, 0.0])
    samples = ex.sample(1000)
    per_niche = [int((samples[:, 0] == 1000.0 * i).sum()) for i in range(3)]
    assert per_niche == proportional_counts(1000, sizes) and sum(per_niche) == 1000
    assert ex.sample(1000).shape == (1000, 2)
    ex.close()


def test_no_split_below_tau_or_beyond_max_niches():
    ex = Experiment(dyngan_config(tau=0.5, max_niches=2))
    pool = ex.niches.pool
    ex.niches.detector.update(torch.arange(len(pool)), torch.where(pool[:, 0] > 2.5, 5.0, -1.0))  # ~20 % collapsed
    ex.niches._split(gen=2)
    assert len(ex.niches.demes) == 1  # 20 % < tau = 50 %
    ex.niches.settings.tau = 0.05
    ex.niches._split(gen=4)
    assert len(ex.niches.demes) == 2  # room for one more niche only: one cluster
    ex.close()


def test_dyngan_in_the_loop_with_egan_mutations_entropy_and_crossover(tmp_path):
    from evogan.runner import run

    config = dyngan_config(every=4, tau=0.01, delta=0.8)  # a lenient detector so that niches appear in 12 generations
    config.generations, config.metrics.every, config.lr_d = 12, 4, 5e-3
    config.log.plots = True
    run_dir = run(config, root=tmp_path)
    import csv

    rows = list(csv.DictReader(open(run_dir / "logbook.csv")))
    assert len(rows) == 12 and {"niches", "partitions", "collapsed"} <= set(rows[0])
    sizes = [list(map(int, r["partitions"].split())) for r in rows]
    assert all(sum(s) == 500 for s in sizes)  # the partitions always cover the pool exactly
    assert int(rows[-1]["niches"]) == len(sizes[-1]) > 1
    assert (run_dir / "partitions.png").stat().st_size > 5000
    assert (run_dir / "partitions.json").is_file()


@pytest.mark.parametrize(
    "extra, words",
    [
        ({"adversary": "began_v3", "mutations": ["began"]}, "reads D's logits"),
        ({"parallel": {"backend": "ray"}}, "in process for now"),
    ],
)
def test_unsupported_dyngan_combinations_are_clear_errors(extra, words):
    config = dyngan_config()
    for key, value in extra.items():
        setattr(config, key, value if not isinstance(value, dict) else type(getattr(config, key))(**value))
    with pytest.raises(ConfigError, match=words):
        Experiment(config)


def test_threshold_matches_the_paper():
    assert CollapseDetector(1, delta=0.1).threshold == pytest.approx(-math.log(0.1))
