"""Compare strategies over seeds and sweeps: runs, honest statistics, plots and one HTML report."""

from ..config import parse_sweeps
from ._run import Comparison, compare
from ._stats import (hedges_g, holm, mann_whitney_test, paired_interval, paired_test, summarise, welch_interval,
                     welch_test)

__all__ = ["compare", "Comparison", "parse_sweeps", "summarise", "welch_test", "mann_whitney_test", "holm",
           "hedges_g", "welch_interval", "paired_interval", "paired_test"]
