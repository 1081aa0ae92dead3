"""The functional Adam equals torch.optim.Adam step for step; the in-place fused step equals the functional one."""

import torch

import pytest

from evogan.adam import adam_init, adam_step, adam_step_


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


def test_in_place_fused_step_equals_the_functional_step_and_a_hand_computed_one():
    torch.manual_seed(1)
    params = {"w": torch.randn(4, 6, 5), "b": torch.randn(4, 5)}  # a stacked population of 4
    state = adam_init(params)
    mine, mine_state = {k: v.clone() for k, v in params.items()}, adam_init(params)
    for _ in range(3):
        # transposed gradients, as the backward pass of a batched matrix product returns them
        grads = {"w": torch.randn(4, 5, 6).transpose(1, 2), "b": torch.randn(4, 5)}
        assert not grads["w"].is_contiguous()
        params, state = adam_step(params, grads, state, lr=0.01, betas=(0.5, 0.99))
        returned = adam_step_(mine, grads, mine_state, lr=0.01, betas=(0.5, 0.99))
        assert returned is mine_state
    for k in params:
        torch.testing.assert_close(mine[k], params[k], rtol=1e-6, atol=1e-8)
        torch.testing.assert_close(mine_state["exp_avg"][k], state["exp_avg"][k], rtol=1e-6, atol=1e-9)
        torch.testing.assert_close(mine_state["exp_avg_sq"][k], state["exp_avg_sq"][k], rtol=1e-6, atol=1e-9)
    assert mine_state["step"] == 3
    # by hand, step 1 from zero moments: m = 0.5 g, v = 0.01 g^2, m_hat = g, v_hat = g^2, so the step is lr * sign(g)
    w = {"x": torch.tensor([1.0, -2.0])}
    adam_step_(w, {"x": torch.tensor([0.3, -4.0])}, adam_init(w), lr=0.1, betas=(0.5, 0.99))
    torch.testing.assert_close(w["x"], torch.tensor([0.9, -1.9]), rtol=0, atol=1e-6)


def test_in_place_step_refuses_non_contiguous_parameters():
    w = {"x": torch.randn(3, 4).t()}
    with pytest.raises(ValueError, match="contiguous"):
        adam_step_(w, {"x": torch.ones(4, 3)}, adam_init({"x": torch.zeros(4, 3)}), lr=0.1, betas=(0.5, 0.99))
