"""Matched controls: a treated account is compared only with accounts alike in segment and size.

A play is rarely aimed at random: an adoption programme goes to small accounts, a sponsor
call to large ones, and small and large accounts grow differently. Each account's cell in a
month is its segment (``accounts.segment``) crossed with its ARR band that month (above or
below the customers' median ARR then, from the daily snapshot's MRR). A difference is taken
within each cell of the treated accounts' reference month and the cells are averaged with the
treated accounts' weights (exact matching), so a trend that differs by segment or size is not
read as the play's effect. A cell needs two accounts on each side (one has no spread to
measure, and its error would read as zero); treated accounts of a cell without are left out
(counted). Finer cells (ARR quartiles) left too many such cells at a few hundred accounts and
their pre-trend tests fired too often on the simulator.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from outsidein.impact.panel import Panel
from outsidein.impact.stats import Difference, difference

__all__ = ["ARR_BANDS", "MATCHING", "matched", "panel_strata", "strata"]

F64 = NDArray[np.float64]
I64 = NDArray[np.int64]
ARR_BANDS = 2
MIN_CELL = 2  # accounts on each side of a cell
MATCHING = (
    "Matched controls: each treated account is compared only with controls of its segment and "
    "ARR band (above or below the median ARR) in its last month before the firing; the cells "
    "are averaged with the treated accounts' weights."
)


def strata(segments: list[str | None], arr: F64) -> I64:
    """Accounts x months: the account's cell (segment x ARR band), -1 when not a customer."""
    n, months = arr.shape
    codes = {s: k for k, s in enumerate(sorted({s or "" for s in segments}))}
    seg = np.array([codes[s or ""] for s in segments], dtype=np.int64)
    out = np.full((n, months), -1, dtype=np.int64)
    for t in range(months):
        present = ~np.isnan(arr[:, t])
        if not present.any():
            continue
        edges = np.quantile(arr[present, t], np.linspace(0, 1, ARR_BANDS + 1)[1:-1])
        band = np.searchsorted(edges, arr[present, t], side="right")
        out[present, t] = seg[present] * ARR_BANDS + band
    return out


def panel_strata(panel: Panel) -> I64 | None:
    """The panel's cells (None when it carries no ARR: nothing to match on)."""
    arr = panel.values.get("arr")
    if arr is None:
        return None
    return strata(panel.segments or [None] * len(panel.account_ids), arr)


def matched(
    values: F64, treated: I64, control: I64, cells: I64 | None, n: int
) -> tuple[list[Difference], I64, I64]:
    """The within-cell differences (one per cell with both groups), and the treated and
    control accounts they used; ``cells``: each account's cell (None: all in one)."""
    if cells is None:
        d = difference(values, treated, control, n)
        return ([d], treated, control) if d is not None else ([], treated[:0], control[:0])
    out, used_tr, used_ctrl = [], [treated[:0]], [control[:0]]
    for cell in np.unique(cells[treated]):
        tr, ctrl = treated[cells[treated] == cell], control[cells[control] == cell]
        if min(len(tr), len(ctrl)) < MIN_CELL:
            continue
        d = difference(values, tr, ctrl, n)
        if d is not None:
            out.append(d)
            used_tr.append(tr)
            used_ctrl.append(ctrl)
    return out, np.concatenate(used_tr), np.concatenate(used_ctrl)
