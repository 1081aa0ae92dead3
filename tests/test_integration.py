"""Integration: E-GAN (mu = 1, three mutations) on the ring covers the modes within a small budget.

GAN training amplifies float rounding: a change of summation order (a fused
kernel, a batched product) sends one seed's run elsewhere. So the claim is
checked on three seeds: every one covers at least 7 of 8 modes, and the median
reverse KL is small (seed 0 once ended at 1.02 while the others were 0.15-0.35).
"""

import statistics

from evogan import Config, Experiment


def test_egan_on_the_ring_covers_at_least_seven_of_eight_modes():
    finals = []
    for seed in (0, 1, 2):
        config = Config(seed=seed, generations=600, population_size=1, p_cross=0.0, log={"progress": False})
        exp = Experiment(config)
        exp.run()
        metrics = exp.evaluate_metrics()
        assert metrics["n_samples"] == 2500
        assert 7 <= metrics["modes_covered"] <= 8
        initial = Experiment(config).evaluate_metrics()
        assert initial["modes_covered"] < metrics["modes_covered"]  # it was learnt, not there from the start
        finals.append(metrics["reverse_kl"])
    assert 0.0 < statistics.median(finals) < 0.5


def test_the_built_in_default_reaches_a_documented_floor_on_a_short_schedule():
    """``evogan run``'s strategy (runs/default.toml: two PacGAN2 generators against one packed D) with its cosine
    schedule compressed to 800 generations, on the ring (its own grid needs ~20,000 generations to pass 95 %): every
    seed covers 8/8 modes with >= 30 % high quality (measured 49.0 / 60.5 / 68.0 % on seeds 0-2, reverse KL
    0.007-0.163). The full default covers the grid's 25 modes in 9 of 10 seeds at 96.6 ± 0.4 %
    (benchmarks/equal_compute.py)."""
    from evogan.config import load_config

    hq, kl = [], []
    for seed in (0, 1, 2):
        exp = Experiment(load_config(None, [f"seed={seed}", "generations=800", "dataset='ring'", "log.progress=false"]))
        assert exp.config.schedule.g == "cosine" and (exp.config.pack, exp.config.batch_size) == (2, 256)
        assert (exp.config.population_size, exp.config.selection) == (2, "lineage")
        exp.run()
        metrics = exp.evaluate_metrics()
        exp.close()
        assert metrics["modes_covered"] == 8
        hq.append(metrics["high_quality"])
        kl.append(metrics["reverse_kl"])
    assert all(30.0 <= h <= 98.9 for h in hq), hq
    assert 0.0 < statistics.median(kl) < 0.3, kl
