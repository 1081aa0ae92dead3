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
    step_size = lr / bias_correction1
    new_params, exp_avg, exp_avg_sq = {}, {}, {}
    for name, param in params.items():
        grad = grads[name]
        m = torch.lerp(state["exp_avg"][name], grad, 1 - beta1)
        v = state["exp_avg_sq"][name].mul(beta2).addcmul_(grad, grad.conj(), value=1 - beta2)
        denom = (v.sqrt() / bias_correction2_sqrt).add_(eps)
        new_params[name] = param.addcdiv(m, denom, value=-step_size)
        exp_avg[name], exp_avg_sq[name] = m, v
    return new_params, {"step": step, "exp_avg": exp_avg, "exp_avg_sq": exp_avg_sq}
