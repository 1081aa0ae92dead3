"""PacGAN packing: batch sizes count packs, shapes, a hand-built loss and F_d, packing 1 equal to none bit for bit, packs of one member each, DynGAN's per-sample view."""

from __future__ import annotations

import torch
import torch.nn.functional as F
import pytest

from evogan import Config, ConfigError, Experiment
from evogan.adversaries import StandardAdversary, pack, per_sample
from evogan.core.sampling import sample_population
from fitness import diversity


def test_pack_concatenates_consecutive_samples():
    x = torch.arange(12.0).reshape(6, 2)
    assert torch.equal(pack(x, 3), torch.tensor([[0.0, 1, 2, 3, 4, 5], [6, 7, 8, 9, 10, 11]]))
    images = torch.randn(4, 3, 5, 5)
    packed = pack(images, 2)
    assert packed.shape == (2, 6, 5, 5) and torch.equal(packed[1, 3:], images[3])
    assert pack(x, 1) is x


def test_the_packed_discriminator_sees_2m_inputs_and_its_loss_matches_a_hand_computed_value():
    config = Config(pack=2, batch_size=4, eval_batch_size=4)
    d = torch.nn.Linear(4, 1)
    with torch.no_grad():
        d.weight.copy_(torch.tensor([[1.0, -1.0, 0.5, 2.0]]))
        d.bias.fill_(0.25)
    adversary = StandardAdversary(d, config, "cpu")
    real = torch.tensor([[1.0, 0.0], [0.0, 1.0], [2.0, 2.0], [0.0, 0.0]])
    fake = torch.tensor([[0.5, 0.5], [1.0, -1.0], [0.0, 0.0], [1.0, 1.0]])
    # packs: real (1,0,0,1) -> 1 + 0 + 0 + 2 + 0.25 = 3.25; (2,2,0,0) -> 0.25; fake (.5,.5,1,-1) -> .5 - .5 + .5 - 2 + .25 = -1.25; (0,0,1,1) -> 2.75
    assert adversary(real).tolist() == pytest.approx([3.25, 0.25])
    expected = (F.softplus(torch.tensor([-3.25, -0.25])).mean() + F.softplus(torch.tensor([-1.25, 2.75])).mean())
    assert float(adversary.loss(real, fake).detach()) == pytest.approx(float(expected), rel=1e-6)
    # F_d: ||grad_w L_D||; L_D is linear in the logits, so by hand:
    # dL/dw = mean_real(-sigmoid(-l) * x) + mean_fake(sigmoid(l) * x) over packs, dL/db the same without x
    rl, fl = torch.tensor([3.25, 0.25]), torch.tensor([-1.25, 2.75])
    rx, fx = pack(real, 2), pack(fake, 2)
    gw = (-torch.sigmoid(-rl)[:, None] * rx).mean(0) + (torch.sigmoid(fl)[:, None] * fx).mean(0)
    gb = (-torch.sigmoid(-rl)).mean() + torch.sigmoid(fl).mean()
    by_hand = float(torch.cat([gw, gb.reshape(1)]).norm())
    real_grads = torch.autograd.grad(F.softplus(-adversary(real)).mean(), adversary.params)
    f_q, norm = adversary.score(fake, type("J", (), {"real_grads": list(real_grads)})())
    assert norm == pytest.approx(by_hand, rel=1e-6)
    assert f_q == pytest.approx(float(torch.sigmoid(fl).mean()), rel=1e-6)
    assert diversity(norm) == pytest.approx(-torch.log(torch.tensor(by_hand)).item(), rel=1e-6)


def test_models_are_built_for_packs():
    ex = Experiment(Config(pack=4, model={"hidden": 8, "g_layers": 1, "d_layers": 1}, log={"progress": False}))
    assert ex.adversary.discriminator[0].in_features == 8 and ex.generator[-1].out_features == 2
    ex.close()


def test_packing_one_equals_no_packing_bit_for_bit(small_config):
    def run(**extra):
        ex = Experiment(Config(**{**small_config.__dict__, **extra}))
        ex.run()
        ex.close()
        return ex

    plain, one = run(), run(pack=1)
    assert [r["survivors"] for r in plain.logbook] == [r["survivors"] for r in one.logbook]
    assert [r["d_loss"] for r in plain.logbook] == [r["d_loss"] for r in one.logbook]
    for p, q in zip(plain.population, one.population):
        assert all(torch.equal(p[k], q[k]) for k in p)
    two = run(pack=2)
    assert [r["d_loss"] for r in two.logbook] != [r["d_loss"] for r in plain.logbook]


def test_the_began_families_refuse_packing():
    with pytest.raises(ConfigError, match="pack: packing needs a discriminator that outputs logits"):
        Experiment(Config(pack=2, adversary="began_v3", mutations=["began"], log={"progress": False}))


def test_per_sample_gives_every_sample_its_packs_value_wrapping_around():
    x = torch.arange(5.0).reshape(5, 1)
    got = per_sample(lambda v: pack(v, 2).sum(1), x, 2)  # packs (0,1) (2,3) (4,0)
    assert got.tolist() == [1.0, 1.0, 5.0, 5.0, 4.0]
    assert torch.equal(per_sample(lambda v: v * 2, x, 1), x * 2)


def test_dyngan_refuses_packing():
    """DynGAN's detector needs D's logit per real sample; a packed D gives one per pack, which flags the partners of
    a missing mode's samples too."""
    with pytest.raises(ConfigError, match="dyngan.enabled: DynGAN's collapse detector reads D's logit of each real "
                                          "sample, and with pack = 2 D judges packs"):
        Config(dataset="grid", pack=2, dyngan={"enabled": True})
    assert Config(dataset="grid", pack=1, dyngan={"enabled": True}).dyngan.enabled


@pytest.mark.parametrize("m", [1, 2, 4])
def test_the_discriminator_sees_batch_size_packs_of_m_samples(m, monkeypatch):
    """Batch sizes count packs, as in PacGAN's code: D's steps, the children's steps and the evaluation all give D
    ``batch_size`` (``eval_batch_size``) rows of m concatenated 2-D samples."""
    import evogan.adversaries.standard

    config = Config(pack=m, batch_size=12, eval_batch_size=20, generations=1, population_size=1, d_steps=1, p_cross=0.0,
                    mutations=["heuristic"], model={"hidden": 8, "g_layers": 1, "d_layers": 1}, log={"progress": False})
    assert config.samples() == 12 * m and config.samples("eval_batch_size") == 20 * m
    shapes = []

    def recording(x, size):
        packed = pack(x, size)
        shapes.append(tuple(packed.shape))
        return packed

    monkeypatch.setattr(evogan.adversaries.standard, "pack", recording)
    ex = Experiment(config)
    ex.run()
    ex.close()
    assert set(shapes) <= {(12, 2 * m), (24, 2 * m), (20, 2 * m), (40, 2 * m)}  # real, fake, or both in one pass
    assert {rows for rows, _ in shapes} & {12, 24} and {rows for rows, _ in shapes} & {20, 40}


def test_a_fake_pack_never_mixes_two_members():
    """mu = 3 and 32 packs of 2: the shares are 11, 11 and 10 whole packs (22, 22, 20 samples), not 22, 21, 21."""
    members = [{"id": torch.tensor(float(i))} for i in range(3)]

    class Constant(torch.nn.Module):  # G(z) = the member's id, so each fake says whose it is
        def forward_with(self, weights, z):
            return weights["id"].expand(len(z), 2)

    fakes = sample_population(members, 64, torch.Generator().manual_seed(0), generator=Constant(),
                              sample_latent=lambda n, rng: torch.zeros(n, 2), unit=2)
    owners = pack(fakes[:, :1], 2)
    assert torch.equal(owners[:, 0], owners[:, 1])  # both samples of every pack come from one member
    assert [int((owners[:, 0] == i).sum()) for i in range(3)] == [11, 11, 10]
    with pytest.raises(ValueError, match="not whole packs of 2"):
        sample_population(members, 63, torch.Generator(), generator=Constant(), sample_latent=lambda n, r: None, unit=2)
