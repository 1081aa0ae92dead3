"""Adam as a pure function on dicts of tensors.

Individuals carry their optimizer state as plain tensors (cheap to clone, to
pickle and to ship to workers), so the generator update is a function from
(weights, gradients, state) to new (weights, state). Both functions run
PyTorch's fused Adam kernel (``torch.optim.Adam(fused=True)``'s), which equals
``torch.optim.Adam``'s single-tensor arithmetic to float rounding (the tests
check it) and costs one kernel per tensor instead of seven. ``adam_step``
works on copies, so a child never aliases its parent; ``adam_step_`` updates
tensors the caller owns in place (the vectorised backend's stacked copies).
"""

from __future__ import annotations


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
    """One Adam step. Returns (new_params, new_state); the inputs are left untouched (the step runs on copies)."""
    def copies(tensors: dict) -> dict:
        return {n: tensors[n].clone(memory_format=torch.contiguous_format) for n in params}

    new_params = copies(params)
    new_state = {"step": state["step"], "exp_avg": copies(state["exp_avg"]), "exp_avg_sq": copies(state["exp_avg_sq"])}
    return new_params, adam_step_(new_params, grads, new_state, lr=lr, betas=betas, eps=eps)


def adam_step_(params: dict, grads: dict, state: dict, *, lr: float, betas: tuple[float, float], eps: float = 1e-8) -> dict:
    """``adam_step`` in place on ``params`` and the moments of ``state`` (which must not be shared); returns ``state``.

    ``torch._fused_adam_`` (CPU and CUDA): on a stacked population about 4x faster than seven foreach
    operations that each allocate their result.
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
