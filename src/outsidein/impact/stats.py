"""Differences of means with each account's share of the error, so estimates combine.

An estimate that is a weighted sum of differences of group means is linear in the accounts'
values; writing down each account's contribution (its influence function) gives the
standard error of any weighted combination, with accounts that appear in several groups
(a control at several dates) counted once: ``se = sqrt(sum(contribution**2))``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from scipy import stats

__all__ = ["Z95", "Combined", "Difference", "combine", "difference", "interval", "wald_p"]

F64 = NDArray[np.float64]
I64 = NDArray[np.int64]
Z95 = float(stats.norm.ppf(0.975))


@dataclass(frozen=True)
class Difference:
    """mean(treated) - mean(control), and each account's contribution to its error."""

    effect: float
    n_treated: int
    n_control: int
    contributions: F64  # one per account of the whole population


def difference(values: F64, treated: I64, control: I64, n: int) -> Difference | None:
    """The difference of means of ``values[treated]`` and ``values[control]`` (indices into a
    population of ``n`` accounts); None when either group is empty."""
    t, c = values[treated], values[control]
    if len(t) == 0 or len(c) == 0:
        return None
    mt, mc = float(t.mean()), float(c.mean())
    contrib = np.zeros(n)
    # a group of one has no spread to measure: n - 1 keeps the variance unbiased otherwise
    np.add.at(contrib, treated, (t - mt) / np.sqrt(max(len(t) * (len(t) - 1), 1)))
    np.add.at(contrib, control, -(c - mc) / np.sqrt(max(len(c) * (len(c) - 1), 1)))
    return Difference(mt - mc, len(t), len(c), contrib)


@dataclass(frozen=True)
class Combined:
    effect: float
    std_error: float
    contributions: F64


def combine(parts: list[tuple[float, Difference]], n: int) -> Combined | None:
    """A weighted average of differences (weights need not sum to one)."""
    total = sum(w for w, _ in parts)
    if not parts or total <= 0:
        return None
    effect = sum(w * d.effect for w, d in parts) / total
    contrib = np.zeros(n)
    for w, d in parts:
        contrib += w / total * d.contributions
    return Combined(effect, float(np.sqrt(np.sum(contrib**2))), contrib)


def interval(effect: float, std_error: float) -> tuple[float, float]:
    return effect - Z95 * std_error, effect + Z95 * std_error


def wald_p(effects: F64, contributions: F64) -> float | None:
    """p-value that all ``effects`` are zero, given their contributions (accounts x effects)."""
    if len(effects) == 0:
        return None
    cov = contributions.T @ contributions
    try:
        stat = float(effects @ np.linalg.pinv(cov) @ effects)
    except np.linalg.LinAlgError:
        return None
    rank = int(np.linalg.matrix_rank(cov))
    if rank == 0:
        return None
    return float(stats.chi2.sf(stat, rank))
