"""The statistics of a comparison: tests, effect sizes with intervals, Holm's correction.

Every strategy is compared with the first one (the baseline), metric by metric, over seeds:

- ``diff``: mean minus the baseline's mean, with a 95 % Welch t interval (Welch–Satterthwaite degrees of
  freedom). A percentile bootstrap was used before: on null data it excluded 0 in 18 % of draws at n = 3 and
  10 % at n = 5; the t interval keeps its 5 % there (tests/evogan/compare/test_compare.py simulates it);
- ``hedges_g``: the standardised mean difference (pooled sample std), bias-corrected for small n;
- neither below ``MIN_SEEDS`` seeds per strategy, where they mean little (the table says so);
- metrics with a target value (the near-mode spreads, 1 = as wide as the data's modes) are judged, tested and
  differenced by their distance from it;
- two-sided p-values of Welch's t-test and the Mann–Whitney U test, and both corrected for
  the number of comparisons with Holm's step-down method (over every strategy × tested metric).

Wall time is reported but not tested unless asked (``time_tests``): on a shared machine
its differences measure the load as much as the strategy. A metric that rests on few
high-quality samples (modes covered, reverse KL, spreads from a handful of points near the modes) carries a
warning. CPU seconds (``provenance.json``) are reported like wall time.
"""

from __future__ import annotations

import math
import statistics
import warnings

from scipy import stats as scipy_stats

from ..metrics import DESCRIPTIVE_KEYS

__all__ = ["welch_test", "mann_whitney_test", "holm", "hedges_g", "welch_interval", "paired_interval", "paired_test",
           "summarise", "NOT_METRICS", "LOWER_IS_BETTER", "TARGETS", "MACHINE_DEPENDENT", "HQ_DEPENDENT", "MIN_SEEDS"]

#: final-metric keys that describe the run rather than measure it
NOT_METRICS = DESCRIPTIVE_KEYS
#: metrics where lower is better
LOWER_IS_BETTER = {"reverse_kl", "fid", "kid", "kl", "wall_time", "cpu_seconds", "gap_mass"}
#: metrics best at a value, judged by the distance from it: the near-mode spreads (1: the data's own width)
TARGETS = {"spread_radial": 1.0, "spread_tangential": 1.0}
#: metrics that measure the machine as much as the strategy: reported, tested only on request
MACHINE_DEPENDENT = {"wall_time", "cpu_seconds"}
#: metrics computed from the high-quality samples only (the mixture benchmarks)
HQ_DEPENDENT = {"modes_covered", "reverse_kl", "spread_radial", "spread_tangential"}
#: fewest seeds per strategy for an interval or an effect size
MIN_SEEDS = 3


def welch_test(a: list[float], b: list[float]) -> float:
    """Two-sided p-value of Welch's t-test (NaN where it is undefined)."""
    if len(a) < 2 or len(b) < 2:
        return math.nan
    with warnings.catch_warnings():  # nearly identical values: scipy warns and the p-value is NaN or meaningless
        warnings.simplefilter("ignore", RuntimeWarning)
        return float(scipy_stats.ttest_ind(a, b, equal_var=False).pvalue)


def mann_whitney_test(a: list[float], b: list[float]) -> float:
    """Two-sided p-value of the Mann–Whitney U test (exact for small samples without ties)."""
    if not a or not b:
        return math.nan
    return float(scipy_stats.mannwhitneyu(a, b, alternative="two-sided").pvalue)


def holm(p_values: list[float]) -> list[float]:
    """Holm's step-down adjustment of a family of p-values (NaNs stay NaN and do not count in the family)."""
    tested = sorted((p, i) for i, p in enumerate(p_values) if not math.isnan(p))
    adjusted = [math.nan] * len(p_values)
    running = 0.0
    for rank, (p, i) in enumerate(tested):
        running = max(running, min(1.0, (len(tested) - rank) * p))
        adjusted[i] = running
    return adjusted


def hedges_g(a: list[float], b: list[float]) -> float:
    """(mean a - mean b) / pooled sample std, times the small-sample correction 1 - 3 / (4 (n_a + n_b) - 9); NaN below
    ``MIN_SEEDS`` values a side."""
    if len(a) < MIN_SEEDS or len(b) < MIN_SEEDS:
        return math.nan
    pooled = math.sqrt(((len(a) - 1) * statistics.variance(a) + (len(b) - 1) * statistics.variance(b))
                       / (len(a) + len(b) - 2))
    if pooled == 0:
        return math.nan
    return (statistics.fmean(a) - statistics.fmean(b)) / pooled * (1 - 3 / (4 * (len(a) + len(b)) - 9))


def welch_interval(a: list[float], b: list[float], *, confidence: float = 0.95) -> tuple[float, float]:
    """Welch's t interval of mean(a) - mean(b) (Welch–Satterthwaite degrees of freedom); NaNs below ``MIN_SEEDS``
    values a side. Equal values on both sides give the point."""
    if len(a) < MIN_SEEDS or len(b) < MIN_SEEDS:
        return math.nan, math.nan
    diff = statistics.fmean(a) - statistics.fmean(b)
    va, vb = statistics.variance(a) / len(a), statistics.variance(b) / len(b)
    if va + vb == 0:
        return diff, diff
    df = (va + vb) ** 2 / (va ** 2 / (len(a) - 1) + vb ** 2 / (len(b) - 1))
    half = float(scipy_stats.t.ppf(0.5 + confidence / 2, df)) * math.sqrt(va + vb)
    return diff - half, diff + half


def paired_interval(a: list[float], b: list[float], *, confidence: float = 0.95) -> tuple[float, float]:
    """The t interval of the mean of a[i] - b[i], for runs paired by seed (the same run until they differ, e.g. a
    selection that changes nothing until it first acts); NaNs below ``MIN_SEEDS`` pairs. Equal differences give the
    point."""
    if len(a) != len(b):
        raise ValueError(f"paired values need one of each a pair: {len(a)} against {len(b)}")
    if len(a) < MIN_SEEDS:
        return math.nan, math.nan
    diffs = [x - y for x, y in zip(a, b)]
    mean, se = statistics.fmean(diffs), statistics.stdev(diffs) / math.sqrt(len(diffs))
    half = float(scipy_stats.t.ppf(0.5 + confidence / 2, len(diffs) - 1)) * se
    return mean - half, mean + half


def paired_test(a: list[float], b: list[float]) -> float:
    """Two-sided p-value of the paired t-test of a[i] - b[i] (NaN below two pairs or with equal differences)."""
    if len(a) != len(b):
        raise ValueError(f"paired values need one of each a pair: {len(a)} against {len(b)}")
    if len(a) < 2:
        return math.nan
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return float(scipy_stats.ttest_rel(a, b).pvalue)


def _finite(values) -> list[float]:
    """The values that are numbers (a metric may be undefined in a run: None, or NaN in older files)."""
    return [float(v) for v in values if v is not None and not isinstance(v, bool) and math.isfinite(float(v))]


def _hq_count(final: dict) -> int | None:
    if final.get("high_quality") is None or not final.get("n_samples"):
        return None
    return round(final["high_quality"] / 100 * final["n_samples"])


def summarise(finals: dict[str, list[dict]], *, time_tests: bool = False, min_hq_samples: int = 500) -> list[dict]:
    """One row per strategy and metric, against the first strategy (see the module docstring).

    ``finals``: strategy → its runs' final metrics in seed order. Row keys: strategy, metric, n, mean, std, se,
    values (per seed, NaN where undefined), diff, diff_low, diff_high, hedges_g, welch_p, mannwhitney_p,
    welch_p_holm, mannwhitney_p_holm, tested, min_hq_samples, warning. For a metric in ``TARGETS``, mean, std, se
    and values are of the metric itself, diff and everything after it of its distance from the target.
    """
    names = list(finals)
    baseline = names[0]
    metrics = [k for k, v in finals[baseline][0].items() if k not in NOT_METRICS
               and isinstance(v, (int, float, type(None))) and not isinstance(v, bool)]
    metrics = [k for k in metrics if _finite(f.get(k) for runs in finals.values() for f in runs)]
    rows = []
    for name in names:
        counts = [c for c in map(_hq_count, finals[name]) if c is not None]
        for metric in metrics:
            raw = values = _finite(f.get(metric) for f in finals[name])
            base = _finite(f.get(metric) for f in finals[baseline])
            if metric in TARGETS:  # judged by the distance from the target
                values, base = ([abs(v - TARGETS[metric]) for v in group] for group in (values, base))
            tested = name != baseline and (time_tests or metric not in MACHINE_DEPENDENT)
            low, high = welch_interval(values, base) if name != baseline else (math.nan, math.nan)
            fewest = min(counts) if counts and metric in HQ_DEPENDENT else None
            rows.append({
                "strategy": name, "metric": metric, "n": len(values),
                "mean": statistics.fmean(raw) if raw else math.nan,
                "std": statistics.stdev(raw) if len(raw) > 1 else math.nan,
                "se": statistics.stdev(raw) / math.sqrt(len(raw)) if len(raw) > 1 else math.nan,
                "values": [float(f[metric]) if _finite([f.get(metric)]) else math.nan for f in finals[name]],
                "diff": statistics.fmean(values) - statistics.fmean(base) if values and base and name != baseline
                else math.nan,
                "diff_low": low, "diff_high": high,
                "hedges_g": hedges_g(values, base) if name != baseline else math.nan,
                "welch_p": welch_test(values, base) if tested else math.nan,
                "mannwhitney_p": mann_whitney_test(values, base) if tested else math.nan,
                "tested": tested,
                "min_hq_samples": fewest,
                "warning": (f"rests on as few as {fewest} high-quality samples in a run (< {min_hq_samples})"
                            if fewest is not None and fewest < min_hq_samples else ""),
            })
    for test in ("welch_p", "mannwhitney_p"):
        for row, adjusted in zip(rows, holm([r[test] for r in rows])):
            row[f"{test}_holm"] = adjusted
    return rows
