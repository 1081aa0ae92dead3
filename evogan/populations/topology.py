"""Island topologies: who sends migrants to whom. Plain Python (no torch), so configs validate fast."""

from __future__ import annotations

import math

from ..errors import ConfigError

__all__ = ["topology", "square_rows"]


def square_rows(count: int) -> int:
    """The rows of the most square grid of ``count`` cells: the largest divisor not above sqrt(count)."""
    return max(r for r in range(1, math.isqrt(count) + 1) if count % r == 0)


def topology(kind: str, count: int, rows: int = 0) -> list[list[int]]:
    """``senders[j]``: the islands that send migrants to island j (sorted, never j itself).

    ring: from the previous island; torus: from the 4 grid neighbours (wrapping; rows x cols, row-major);
    complete: from every other island.
    """
    if count < 2:
        return [[] for _ in range(count)]
    if kind == "ring":
        return [[(j - 1) % count] for j in range(count)]
    if kind == "complete":
        return [[i for i in range(count) if i != j] for j in range(count)]
    if kind == "torus":
        rows = rows or square_rows(count)
        if count % rows:
            raise ConfigError(f"islands.rows: {rows} does not divide islands.count = {count}; a torus needs "
                              f"rows x cols = count (divisors: {', '.join(str(d) for d in range(1, count + 1) if count % d == 0)})")
        cols = count // rows
        senders = []
        for j in range(count):
            r, c = divmod(j, cols)
            around = {((r - 1) % rows) * cols + c, ((r + 1) % rows) * cols + c, r * cols + (c - 1) % cols,
                      r * cols + (c + 1) % cols}
            senders.append(sorted(around - {j}))
        return senders
    raise ConfigError(f"islands.topology: {kind!r} is not valid; choose one of: ring, torus, complete")
