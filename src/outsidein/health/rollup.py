"""A group's score from its children's, for every account at once.

Each roll-up returns the score (NaN when no child has one) and, per child, the factor that
child's score is multiplied by in it: score = sum(factor * child score). The engine multiplies
factors down the tree to give each measure its effective weight, so that contributions
(effective weight x points) add up to the score under weighted and additive roll-ups; under
worst-of the factor is 1 for the child that set the score and 0 for the others.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

F64 = NDArray[np.float64]


def weighted(children: F64, weights: F64) -> tuple[F64, F64]:
    """Weighted average over the children that have a score (weights renormalised).

    ``children``: (accounts, children) with NaN where missing; ``weights``: (children,).
    """
    present = ~np.isnan(children)
    w = np.where(present, weights[None, :], 0.0)
    total = w.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        factors = np.where(total[:, None] > 0, w / total[:, None], 0.0)
    score = np.where(total > 0, (factors * np.nan_to_num(children)).sum(axis=1), np.nan)
    return score, factors


def additive(children: F64, weights: F64) -> tuple[F64, F64]:
    """Sum of weight x score over the children that have one, clamped to 0-100.

    When the clamp bites, every factor is scaled by the same ratio, so the contributions still
    add up to the clamped score.
    """
    present = ~np.isnan(children)
    w = np.where(present, weights[None, :], 0.0)
    raw = (w * np.nan_to_num(children)).sum(axis=1)
    clamped = np.clip(raw, 0.0, 100.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        scale = np.where(raw != 0, clamped / raw, 1.0)
    any_present = present.any(axis=1)
    return np.where(any_present, clamped, np.nan), w * scale[:, None]


def worst(children: F64) -> tuple[F64, F64]:
    """The lowest child score; factor 1 for the (first) child that has it, 0 for the others."""
    present = ~np.isnan(children)
    filled = np.where(present, children, np.inf)
    pick = filled.argmin(axis=1)
    any_present = present.any(axis=1)
    factors = np.zeros_like(children)
    rows = np.flatnonzero(any_present)
    factors[rows, pick[rows]] = 1.0
    score = np.where(any_present, filled[np.arange(len(pick)), pick], np.nan)
    return score, factors


def combine(kind: str, children: F64, weights: F64) -> tuple[F64, F64]:
    """The roll-up named ``kind`` (weighted, additive, worst)."""
    if kind == "weighted":
        return weighted(children, weights)
    if kind == "additive":
        return additive(children, weights)
    if kind == "worst":
        return worst(children)
    raise ValueError(f"unknown roll-up {kind!r}")


__all__ = ["additive", "combine", "weighted", "worst"]
