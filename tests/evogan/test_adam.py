"""The functional Adam equals torch.optim.Adam step for step."""

import torch

from evogan.adam import adam_init, adam_step


def test_matches_torch_adam_over_several_steps():
    torch.manual_seed(0)
    start = {"w": torch.randn(5, 3), "b": torch.randn(3)}
    target = torch.randn(7, 3)
    x = torch.randn(7, 5)

    def loss_fn(p):
        return ((x @ p["w"] + p["b"] - target) ** 2).mean()

    ref = {k: v.clone().requires_grad_(True) for k, v in start.items()}
    opt = torch.optim.Adam(ref.values(), lr=0.01, betas=(0.5, 0.99), foreach=False)
    mine, state = {k: v.clone() for k, v in start.items()}, adam_init(start)
    for _ in range(5):
        opt.zero_grad()
        loss_fn(ref).backward()
        opt.step()
        leaves = {k: v.clone().requires_grad_(True) for k, v in mine.items()}
        grads = dict(zip(leaves, torch.autograd.grad(loss_fn(leaves), list(leaves.values()))))
        mine, state = adam_step(mine, grads, state, lr=0.01, betas=(0.5, 0.99))
    for k in start:
        torch.testing.assert_close(mine[k], ref[k].detach(), rtol=1e-6, atol=1e-7)
        torch.testing.assert_close(state["exp_avg_sq"][k], opt.state[ref[k]]["exp_avg_sq"], rtol=1e-6, atol=1e-9)
    assert state["step"] == 5


def test_inputs_are_not_modified():
    p = {"w": torch.ones(3)}
    s = adam_init(p)
    new, s2 = adam_step(p, {"w": torch.full((3,), 2.0)}, s, lr=0.1, betas=(0.9, 0.999))
    assert torch.equal(p["w"], torch.ones(3)) and s["step"] == 0 and torch.equal(s["exp_avg"]["w"], torch.zeros(3))
    assert torch.allclose(new["w"], torch.full((3,), 0.9), atol=1e-6) and s2["step"] == 1
