"""Integration: E-GAN (mu = 1, three mutations) on the ring covers the modes within a small budget."""

from evogan import Config, Experiment


def test_egan_on_the_ring_covers_at_least_seven_of_eight_modes():
    config = Config(seed=0, generations=600, population_size=1, p_cross=0.0, log={"progress": False})
    exp = Experiment(config)
    exp.run()
    metrics = exp.evaluate_metrics()
    assert metrics["n_samples"] == 2500
    assert 7 <= metrics["modes_covered"] <= 8
    assert metrics["reverse_kl"] < 0.5
    initial = Experiment(config).evaluate_metrics()
    assert initial["modes_covered"] < metrics["modes_covered"]  # it was learnt, not there from the start
