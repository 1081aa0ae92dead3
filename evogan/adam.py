"""Adam as a pure function on dicts of tensors.

Individuals carry their optimizer state as plain tensors (cheap to clone, to
pickle and to ship to workers), so the generator update is a function from
(weights, gradients, state) to new (weights, state). It follows
``torch.optim.Adam``'s single-tensor arithmetic operation by operation, so one
step here equals one step of ``torch.optim.Adam(foreach=False)``; the tests
check it. Nothing is updated in place: a child never aliases its parent.
``adam_step_`` is the same step in place, for tensors the caller owns (the
vectorised backend's stacked copies): one fused kernel per tensor.
"""

from __future__ import annotations

import math

import torch

__all__ = ["adam_init", "adam_step", "adam_step_"]


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


def adam_step_(params: dict, grads: dict, state: dict, *, lr: float, betas: tuple[float, float], eps: float = 1e-8) -> dict:
    """``adam_step`` in place on ``params`` and the moments of ``state`` (which must not be shared); returns ``state``.

    Uses PyTorch's fused Adam kernel (``torch._fused_adam_``, CPU and CUDA), about 4x faster than the functional
    step on a stacked population; equal to ``adam_step`` to float rounding (tests/evogan/test_adam.py).
    """
    beta1, beta2 = betas
    state["step"] += 1
    names = list(params)
    tensors = [params[n] for n in names]
    exp_avg, exp_avg_sq = [state["exp_avg"][n] for n in names], [state["exp_avg_sq"][n] for n in names]
    if not all(t.is_contiguous() for t in (*tensors, *exp_avg, *exp_avg_sq)):
        raise ValueError("adam_step_: parameters and moments must be contiguous (the fused kernel walks raw memory)")
    step = torch.full((), float(state["step"]), device=tensors[0].device)
    # gradients of batched matrix products often arrive transposed; the kernel would read them in the wrong order
    grad = [grads[n].contiguous() for n in names]
    torch._fused_adam_(
        tensors, grad, exp_avg, exp_avg_sq, [], [step] * len(names),
        lr=lr, beta1=beta1, beta2=beta2, weight_decay=0.0, eps=eps, amsgrad=False, maximize=False,
    )
    return state
