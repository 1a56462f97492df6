"""Customer-level inputs of the models, checked and compressed.

The likelihoods depend on a customer only through (x, t_x, T), and many customers share
a row (every non-repeater of a cohort has x = t_x = 0 and the same T). Fitting on the
distinct rows with a count as weight gives the same likelihood for a fraction of the work;
``inverse`` maps the distinct rows back to the customers for scoring.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike, NDArray

from outsidein.clv.errors import ClvError

Floats = NDArray[np.float64]


@dataclass(frozen=True)
class RFM:
    """Distinct (x, t_x, T) rows, their weights and the map back to customers."""

    x: Floats
    t_x: Floats
    T: Floats
    weight: Floats
    inverse: NDArray[np.intp]
    x_values: Floats  # the distinct x, so per-x special functions run once
    x_index: NDArray[np.intp]  # row -> position in x_values

    @property
    def customers(self) -> int:
        """Number of customers the rows stand for."""
        return int(self.weight.sum())


def _vector(name: str, values: ArrayLike) -> Floats:
    arr = np.asarray(values, dtype=np.float64).reshape(-1)
    bad = ~np.isfinite(arr)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise ClvError(f"{name} at row {i} is {float(arr[i])}: every value must be a finite number")
    return arr


def compress(x: ArrayLike, t_x: ArrayLike, T: ArrayLike) -> RFM:
    """Check the frequency/recency/age columns and merge identical rows.

    x counts repeat transactions, t_x is the time of the last one (0 when x = 0) and T the
    time since the first purchase, all in the same unit.
    """
    xs, ts, Ts = _vector("frequency x", x), _vector("recency t_x", t_x), _vector("age T", T)
    if not len(xs) == len(ts) == len(Ts):
        raise ClvError(
            f"x, t_x and T have {len(xs)}, {len(ts)} and {len(Ts)} rows: give one per customer"
        )
    if len(xs) == 0:
        raise ClvError("no customers: the RFM summary is empty")
    _check(xs, ts, Ts)
    first, inverse = distinct_rows(xs, ts, Ts)
    counts = np.bincount(inverse, minlength=len(first))
    x_values, x_index = np.unique(xs[first], return_inverse=True)
    return RFM(
        x=xs[first],
        t_x=ts[first],
        T=Ts[first],
        weight=counts.astype(np.float64),
        inverse=inverse,
        x_values=x_values,
        x_index=x_index.reshape(-1),
    )


def distinct_rows(*columns: Floats) -> tuple[NDArray[np.intp], NDArray[np.intp]]:
    """Index of one row per distinct tuple, and each row's position among them.

    Hashing (pandas' factorize) per column, then once more on the combined integer key:
    linear time, where sorting a million rows by three keys takes several times longer.
    """
    inverse, uniq = pd.factorize(columns[0])
    for col in columns[1:]:
        codes, values = pd.factorize(col)  # key stays below rows x rows: no overflow
        inverse, uniq = pd.factorize(inverse.astype(np.int64) * len(values) + codes)
    rep = np.empty(len(uniq), dtype=np.intp)
    rep[inverse] = np.arange(len(inverse))
    return rep, inverse.astype(np.intp)


def _check(x: Floats, t_x: Floats, T: Floats) -> None:
    problems = [
        ("frequency x", (x < 0) | (x != np.floor(x)), "a whole number of repeat transactions >= 0"),
        ("recency t_x", t_x < 0, "a time >= 0"),
        ("age T", T <= 0, "a time > 0"),
        ("recency t_x", t_x > T, "at most the age T"),
        ("recency t_x", (x == 0) & (t_x != 0), "0 when x is 0 (no repeat transaction)"),
        ("recency t_x", (x > 0) & (t_x == 0), "> 0 when x > 0"),
    ]
    for name, bad, rule in problems:
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            raise ClvError(
                f"{name} at row {i} is invalid (x={x[i]:g}, t_x={t_x[i]:g}, T={T[i]:g}): "
                f"it must be {rule}"
            )
