"""Adam as a pure function on dicts of tensors.

Individuals carry their optimizer state as plain tensors (cheap to clone, to
pickle and to ship to workers), so the generator update is a function from
(weights, gradients, state) to new (weights, state). It follows
``torch.optim.Adam``'s single-tensor arithmetic operation by operation, so one
step here equals one step of ``torch.optim.Adam(foreach=False)``; the tests
check it. Nothing is updated in place: a child never aliases its parent.
"""

from __future__ import annotations

import math

import torch

__all__ = ["adam_init", "adam_step"]


def adam_init(params: dict[str, torch.Tensor]) -> dict:
    """Fresh Adam state for ``params``: step 0, zero first and second moments."""
    return {
        "step": 0,
        "exp_avg": {k: torch.zeros_like(v) for k, v in params.items()},
        "exp_avg_sq": {k: torch.zeros_like(v) for k, v in params.items()},
    }


def adam_step(params: dict, grads: dict, state: dict, *, lr: float, betas: tuple[float, float], eps: float = 1e-8):
    """One Adam step. Returns (new_params, new_state); the inputs are left untouched."""
    beta1, beta2 = betas
    step = state["step"] + 1
    bias_correction1 = 1 - beta1**step
    bias_correction2_sqrt = math.sqrt(1 - beta2**step)
    names = list(params)
    grad = [grads[n] for n in names]
    # the same elementwise operations as torch.optim.Adam's single-tensor path, applied to all tensors per call
    exp_avg = torch._foreach_lerp([state["exp_avg"][n] for n in names], grad, 1 - beta1)
    exp_avg_sq = torch._foreach_mul([state["exp_avg_sq"][n] for n in names], beta2)
    torch._foreach_addcmul_(exp_avg_sq, grad, grad, value=1 - beta2)
    denom = torch._foreach_sqrt(exp_avg_sq)
    torch._foreach_div_(denom, bias_correction2_sqrt)
    torch._foreach_add_(denom, eps)
    new_params = torch._foreach_addcdiv([params[n] for n in names], exp_avg, denom, value=-lr / bias_correction1)
    return dict(zip(names, new_params)), {
        "step": step, "exp_avg": dict(zip(names, exp_avg)), "exp_avg_sq": dict(zip(names, exp_avg_sq))}
