"""The Sobel edge loss: edges of a step image by hand, the modifier by hand, in the loop, and refused on points."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
import torch

from evogan import Config, ConfigError, Experiment
from operators import edge_loss, sobel_edges


def test_sobel_edges_of_a_vertical_step():
    image = torch.full((1, 1, 6, 8), -1.0)
    image[..., 4:] = 1.0
    edges = sobel_edges(image)[0, 0]
    # columns 3 and 4 see the step: |(1 - (-1)) * (1 + 2 + 1)| = 8; replicated borders: no edge elsewhere
    assert torch.allclose(edges[:, 3:5], torch.full((6, 2), 8.0), atol=1e-5)
    assert edges[:, :3].max().item() < 1e-5 and edges[:, 5:].max().item() < 1e-5


def test_sobel_edges_of_a_diagonal_ramp_and_per_channel():
    ramp = torch.arange(5.0).view(1, 5) + torch.arange(5.0).view(5, 1)  # x + y: g_x = g_y = 8 inside
    image = torch.stack([ramp, -2 * ramp]).unsqueeze(0)  # (1, 2, 5, 5)
    edges = sobel_edges(image)[0]
    assert edges[0, 1:4, 1:4] == pytest.approx(torch.full((3, 3), 8 * 2**0.5), abs=1e-4)
    assert edges[1, 1:4, 1:4] == pytest.approx(torch.full((3, 3), 16 * 2**0.5), abs=1e-4)


class _Pixels:
    """Real 'images' drawn in a fixed order: a flat one and a step."""

    kind = "image"

    def __init__(self, images):
        self.images = images

    def sample(self, n, rng):
        return self.images[:n]


def test_edge_loss_by_hand_random_and_nearest_pairing():
    flat = torch.zeros(1, 1, 4, 4)
    step = torch.full((1, 1, 4, 4), -1.0)
    step[..., 2:] = 1.0
    data = _Pixels(torch.cat([flat, step]))
    fake = torch.cat([step, flat])  # reversed: random (in-order) pairing compares step↔flat and flat↔step
    config = SimpleNamespace(edge_weight=0.5, edge_pairing="random")
    # step edges: 8 on columns 1 and 2 (8 of 16 pixels), 0 elsewhere; squared difference 64 on half the pixels
    value = edge_loss(fake, rng=None, adversary=None, data=data, config=config)
    assert value.item() == pytest.approx(0.5 * 64 / 2, rel=1e-4)
    config.edge_pairing = "nearest"  # each fake finds its own shape among the reals
    assert edge_loss(fake, rng=None, adversary=None, data=data, config=config).item() == pytest.approx(0.0, abs=1e-6)


def _mnist(**extra):
    return Config(dataset="mnist", latent_dim=16, population_size=2, batch_size=16, eval_batch_size=32,
                  model={"width": 8}, generations=3, log={"progress": False, "plots": False}, **extra)


@pytest.mark.parametrize("pairing", ["random", "nearest"])
def test_edge_loss_in_the_loop_with_egan_mutations_and_crossover(pairing):
    config = _mnist(mutations=["minimax", "heuristic+edge", "least_squares+edge+entropy"], p_cross=0.5,
                    edge_pairing=pairing)
    ex = Experiment(config)
    ex.run()
    assert all(row["discarded"] == 0 and row["nevals"] == 6 for row in ex.logbook)
    ex.close()


def test_edge_weight_zero_gives_the_plain_child():
    ex = Experiment(_mnist(mutations=["heuristic", "heuristic+edge"], edge_weight=0.0))
    plain = ex.toolbox.mutate_heuristic(ex.population[0], None, seed=3)
    edged = getattr(ex.toolbox, "mutate_heuristic+edge")(ex.population[0], None, seed=3)
    # the real batch it draws shifts the stream of later draws only; with one step the weights match exactly
    assert all(torch.equal(plain[k], edged[k]) for k in plain)
    ex.close()


def test_edge_loss_on_points_is_a_clear_error(small_config):
    small_config.mutations = ["heuristic+edge"]
    with pytest.raises(ConfigError, match="'edge' in 'heuristic\\+edge' needs image data; 'ring' is points data"):
        Experiment(small_config)
