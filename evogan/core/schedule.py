"""Learning-rate schedules: the multiplier of a base learning rate as a pure function of the generation.

A schedule is a function of the generation alone (not an object that counts
steps, as ``torch.optim.lr_scheduler``'s do), so a resumed run, a Ray worker
and the vectorised backend all compute the same value from the generation
number without carrying any state. Generation g in 1..G (G = ``generations``);
with ``warmup`` = W > 0 the multiplier first rises linearly, g / W, for g <= W,
and the shape below runs over the remaining generations:

- ``constant``: 1;
- ``linear``: from 1 down to ``final`` at generation G;
- ``cosine``: final + (1 - final) * (1 + cos(pi * t)) / 2, t from 0 to 1;
- ``step``: ``factor`` ** (number of ``milestones`` < g), as torch's ``MultiStepLR`` counts them: generation
  g is torch's epoch g - 1, so generation m + 1 is the first at the lower rate.
"""

from __future__ import annotations

import math

from .registry import Registry

__all__ = ["SCHEDULES", "lr_multiplier", "schedule_for"]


def _constant(t: float, generation: int, *, final: float, milestones, factor: float) -> float:
    return 1.0


def _linear(t: float, generation: int, *, final: float, milestones, factor: float) -> float:
    return 1.0 + (final - 1.0) * t


def _cosine(t: float, generation: int, *, final: float, milestones, factor: float) -> float:
    return final + (1.0 - final) * 0.5 * (1.0 + math.cos(math.pi * t))


def _step(t: float, generation: int, *, final: float, milestones, factor: float) -> float:
    return factor ** sum(1 for m in milestones if generation > m)


#: schedule name → fn(t in [0, 1] after warm-up, generation, *, final, milestones, factor) -> multiplier
SCHEDULES = Registry("learning-rate schedule")
for _name, _fn in (("constant", _constant), ("linear", _linear), ("cosine", _cosine), ("step", _step)):
    SCHEDULES.register(_name, _fn)


def lr_multiplier(kind: str, generation: int, *, generations: int, warmup: int = 0, final: float = 0.1,
                  milestones=(), factor: float = 0.1) -> float:
    """The learning-rate multiplier of schedule ``kind`` at ``generation`` (1-based) of a ``generations``-long run."""
    if warmup and generation <= warmup:
        return generation / warmup
    span = max(generations - warmup - 1, 1)
    t = min(max((generation - warmup - 1) / span, 0.0), 1.0)
    return SCHEDULES.get(kind, "schedule")(t, generation, final=final, milestones=milestones, factor=factor)


def schedule_for(config, network: str, always: bool = False):
    """fn(generation) -> learning rate of ``network`` ("g" or "d") under ``config.schedule``; None when the rate
    never changes (constant, no warm-up), so that an unscheduled run keeps the config's rate untouched, unless
    ``always`` (a caller that scales the rate, such as self-adaptive genes, needs it as a function)."""
    s = config.schedule
    base = config.lr_g if network == "g" else config.lr_d
    kind = s.g if network == "g" else s.d
    SCHEDULES.get(kind, f"schedule.{network}")  # unknown names fail before training
    if kind == "constant" and not s.warmup and not always:
        return None

    def lr(generation: int) -> float:
        return base * lr_multiplier(kind, generation, generations=config.generations, warmup=s.warmup,
                                    final=s.final, milestones=s.milestones, factor=s.factor)
    return lr
