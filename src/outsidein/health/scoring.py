"""One measure's raw values to points 0-100, for every account at once.

NaN means "no points": the input is missing (or, for conditions, none could be decided). What
a missing input then counts as is the engine's decision (skip or the stated default).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from outsidein.settings.health import Bands, Linear

F64 = NDArray[np.float64]
Mask = NDArray[np.bool_]


def linear(raw: F64, rule: Linear, direction: str) -> F64:
    """0 at ``low``, 100 at ``high`` (swapped when lower is better), clipped, straight between."""
    share = (raw - rule.low) / (rule.high - rule.low)
    if direction == "lower":
        share = 1.0 - share
    return np.clip(share, 0.0, 1.0) * 100.0


def bands(raw: F64, rule: Bands) -> F64:
    """The points of the band each value falls in; a value on a threshold is in the upper band."""
    index = np.searchsorted(np.asarray(rule.thresholds), raw, side="right")
    out = np.asarray(rule.points, dtype=np.float64)[np.clip(index, 0, len(rule.points) - 1)]
    return np.where(np.isnan(raw), np.nan, out)


def conditions(base: float, held: list[tuple[Mask, Mask, float]]) -> F64:
    """``base`` plus the points of each condition that holds, clamped to 0-100.

    ``held`` is, per condition, (holds, decided, points): a condition that is null (its inputs
    are missing) adds nothing; when no condition is decided for an account, it has no points.
    """
    n = len(held[0][0])
    total = np.full(n, float(base))
    decided = np.zeros(n, dtype=bool)
    for holds, known, points in held:
        total += np.where(holds & known, points, 0.0)
        decided |= known
    return np.where(decided, np.clip(total, 0.0, 100.0), np.nan)


__all__ = ["bands", "conditions", "linear"]
