"""The calibration/holdout check: predicted against actual repeat transactions.

Fader, Hardie & Lee (2005) judge a model by the conditional expectations of the holdout
period, in total and averaged per calibration frequency (0, 1, ..., 7+).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike


@dataclass(frozen=True)
class HoldoutCheck:
    """Totals and the per-frequency table of predicted vs actual holdout transactions."""

    customers: int
    actual: float
    predicted: float
    by_frequency: list[dict[str, float]]
    # the predicted total's 90 % interval from the estimates' uncertainty (None: not known)
    predicted_low: float | None = None
    predicted_high: float | None = None

    @property
    def error(self) -> float:
        """Relative error of the predicted total."""
        return (self.predicted - self.actual) / self.actual if self.actual else float("nan")

    def as_dict(self) -> dict[str, object]:
        return {
            "customers": self.customers,
            "actual": self.actual,
            "predicted": self.predicted,
            "predicted_low": self.predicted_low,
            "predicted_high": self.predicted_high,
            "error": self.error,
            "by_frequency": self.by_frequency,
        }


def check(x: ArrayLike, actual: ArrayLike, predicted: ArrayLike, top: int = 7) -> HoldoutCheck:
    """Compare per customer; frequencies at or above ``top`` share one bin ("7+")."""
    xs = np.asarray(x, dtype=np.float64)
    act = np.asarray(actual, dtype=np.float64)
    pred = np.asarray(predicted, dtype=np.float64)
    bins = np.minimum(xs, top).astype(int)
    rows = []
    for k in range(top + 1):
        m = bins == k
        if m.any():
            rows.append(
                {
                    "frequency": float(k),
                    "customers": float(m.sum()),
                    "actual_mean": float(act[m].mean()),
                    "predicted_mean": float(pred[m].mean()),
                }
            )
    return HoldoutCheck(len(xs), float(act.sum()), float(pred.sum()), rows)
