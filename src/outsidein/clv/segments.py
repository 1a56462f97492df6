"""RFM scores (quintiles 1-5) and named groups for transactional customers.

R scores recency (weeks since the last transaction, fewer is better), F the number of
transactions (x + 1) and M the mean spend. Ties share a score: the score is the quintile of
the customer's average rank. Named groups, first rule that matches:

- champions: R >= 4 and F >= 4
- loyal: R >= 3 and F >= 3
- new: R >= 4 and F <= 2 (recent, few transactions yet)
- at risk: R <= 2 and F >= 3
- lost: R == 1 and F <= 2
- hibernating: everyone else (long quiet, few transactions)
"""

from __future__ import annotations

import numpy as np
import pandas as pd

GROUPS = ("champions", "loyal", "new", "at risk", "hibernating", "lost")


def _quintile(values: pd.Series) -> pd.Series:
    pct = values.rank(method="average", pct=True)
    return np.ceil(pct * 5).clip(1, 5).astype(int)


def rfm_segments(rfm: pd.DataFrame) -> pd.DataFrame:
    """R, F, M scores and the named group for each row of ``clv.rfm.summary``."""
    r = _quintile(-(rfm["T"] - rfm["t_x"]))
    f = _quintile(rfm["x"] + 1)
    m = _quintile(rfm["monetary"])
    group = np.select(
        [
            (r >= 4) & (f >= 4),
            (r >= 3) & (f >= 3),
            (r >= 4) & (f <= 2),
            (r <= 2) & (f >= 3),
            (r == 1) & (f <= 2),
        ],
        ["champions", "loyal", "new", "at risk", "lost"],
        default="hibernating",
    )
    return pd.DataFrame({"r": r, "f": f, "m": m, "segment": group}, index=rfm.index)
