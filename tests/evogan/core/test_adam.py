"""The functional Adam equals torch.optim.Adam step for step; the in-place fused step equals the functional one."""

import torch

import pytest

from evogan.core.adam import adam_init, adam_step, adam_step_


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


def test_in_place_step_on_a_stacked_population_with_transposed_gradients_equals_the_formula():
    """Adam written out, against the fused kernel fed gradients as a batched matmul's backward returns them."""
    torch.manual_seed(1)
    params = {"w": torch.randn(4, 6, 5), "b": torch.randn(4, 5)}  # a stacked population of 4
    state = adam_init(params)
    mine = {k: v.clone() for k, v in params.items()}
    m, v = {k: torch.zeros_like(t) for k, t in params.items()}, {k: torch.zeros_like(t) for k, t in params.items()}
    lr, (b1, b2), eps = 0.01, (0.5, 0.99), 1e-8
    for t in range(1, 4):
        grads = {"w": torch.randn(4, 5, 6).transpose(1, 2), "b": torch.randn(4, 5)}
        assert not grads["w"].is_contiguous()
        assert adam_step_(mine, grads, state, lr=lr, betas=(b1, b2)) is state
        for k, g in grads.items():
            m[k] = b1 * m[k] + (1 - b1) * g
            v[k] = b2 * v[k] + (1 - b2) * g * g
            params[k] = params[k] - lr * (m[k] / (1 - b1**t)) / ((v[k] / (1 - b2**t)).sqrt() + eps)
    for k in params:
        torch.testing.assert_close(mine[k], params[k], rtol=1e-5, atol=1e-7)
        torch.testing.assert_close(state["exp_avg"][k], m[k], rtol=1e-5, atol=1e-7)
        torch.testing.assert_close(state["exp_avg_sq"][k], v[k], rtol=1e-5, atol=1e-8)
    assert state["step"] == 3
    # by hand, step 1 from zero moments: m = 0.5 g, v = 0.01 g^2, m_hat = g, v_hat = g^2, so the step is lr * sign(g)
    w = {"x": torch.tensor([1.0, -2.0])}
    adam_step_(w, {"x": torch.tensor([0.3, -4.0])}, adam_init(w), lr=0.1, betas=(0.5, 0.99))
    torch.testing.assert_close(w["x"], torch.tensor([0.9, -1.9]), rtol=0, atol=1e-6)


def test_in_place_step_refuses_non_contiguous_parameters():
    w = {"x": torch.randn(3, 4).t()}
    with pytest.raises(ValueError, match="contiguous"):
        adam_step_(w, {"x": torch.ones(4, 3)}, adam_init({"x": torch.zeros(4, 3)}), lr=0.1, betas=(0.5, 0.99))
