"""What the CLV page, ``GET /api/v1/clv/overview`` and ``outsidein clv report`` show, computed
once from the stored scores and fits of the last scoring day (``clv.saved``).

- the value distribution: accounts per CLV band, by family;
- the top accounts by CLV;
- P(alive) by frequency and recency: the mean stored P(alive) of the one-off buyers in each
  cell of calibration frequency (0..7+) and weeks since the last purchase;
- the family per account (counts and value) and each fitted model;
- the contractual cohorts' projected retention: the sBG fitted per billing period, S(t)
  and r_t for the next periods.

The holdout check (predicted vs actual purchases) refits on a calibration period and is
:func:`outsidein.clv.portfolio.holdout`, read by the same interfaces.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field
from typing import Any

import duckdb
import numpy as np
import pandas as pd

from outsidein.clv import sbg
from outsidein.clv.saved import fits, latest

BANDS = (0.0, 100.0, 1_000.0, 10_000.0, 100_000.0, 1_000_000.0)
FREQUENCY_BINS = 8  # 0, 1, ..., 6, 7+
RECENCY_EDGES = (0.0, 4.0, 13.0, 26.0, 52.0)  # weeks since the last purchase
RETENTION_PERIODS = 12


@dataclass
class Overview:
    """The last scoring day's figures (``as_of`` None: nothing scored yet)."""

    as_of: dt.date | None
    accounts: int = 0
    total: float = 0.0
    families: list[dict[str, Any]] = field(default_factory=list)
    distribution: list[dict[str, Any]] = field(default_factory=list)
    top: list[dict[str, Any]] = field(default_factory=list)
    heatmap: list[dict[str, Any]] = field(default_factory=list)
    rfm_groups: list[dict[str, Any]] = field(default_factory=list)
    models: list[dict[str, Any]] = field(default_factory=list)
    retention: list[dict[str, Any]] = field(default_factory=list)


def band_label(lo: float, hi: float | None) -> str:
    def short(v: float) -> str:
        return f"{v / 1e6:g}M" if v >= 1e6 else f"{v / 1e3:g}k" if v >= 1e3 else f"{v:g}"

    return f"{short(lo)}+" if hi is None else f"{short(lo)}-{short(hi)}"


def recency_label(i: int) -> str:
    edges = RECENCY_EDGES
    return f"{edges[i]:g}+ wk" if i == len(edges) - 1 else f"{edges[i]:g}-{edges[i + 1]:g} wk"


def _num(v: Any) -> float | None:
    return None if v is None or (isinstance(v, float) and math.isnan(v)) else float(v)


def overview(con: duckdb.DuckDBPyConnection, *, csm: str | None = None, top: int = 10) -> Overview:
    """The figures of the last scoring day (``csm``: that CSM's book only)."""
    scores = latest(con, csm=csm)
    if scores.empty:
        return Overview(as_of=None)
    as_of = pd.Timestamp(scores["as_of"].iloc[0]).date()
    out = Overview(as_of=as_of, accounts=len(scores), total=float(scores["clv"].sum()))
    kind = np.where(scores["family"].str.startswith("transactional"), "transactional",
                    "contractual")  # fmt: skip
    for family, g in scores.groupby("family", sort=True):
        out.families.append(
            {"family": str(family), "accounts": len(g), "clv": float(g["clv"].sum())}
        )
    edges = [*BANDS, math.inf]
    band = np.searchsorted(np.array(BANDS), scores["clv"].to_numpy(), side="right") - 1
    for i, lo in enumerate(BANDS):
        hi = None if math.isinf(edges[i + 1]) else edges[i + 1]
        for k in ("transactional", "contractual"):
            n = int(((band == i) & (kind == k)).sum())
            out.distribution.append({"band": band_label(lo, hi), "low": lo, "high": hi,
                                     "kind": k, "accounts": n})  # fmt: skip
    for r in scores.head(top).to_dict("records"):
        out.top.append(
            {
                "account_id": str(r["account_id"]),
                "family": str(r["family"]),
                "clv": float(r["clv"]),
                "p_alive": _num(r["p_alive"]),
                "p_renew": _num(r["p_renew"]),
                "rfm_segment": None if pd.isna(r["rfm_segment"]) else str(r["rfm_segment"]),
            }
        )
    out.heatmap = heatmap(scores)
    groups = scores.dropna(subset=["rfm_segment"]).groupby("rfm_segment")["clv"]
    sizes, sums = groups.size(), groups.sum()
    out.rfm_groups = [
        {"group": str(g), "accounts": int(sizes[g]), "clv": float(sums[g])} for g in sizes.index
    ]
    for stored in fits(con, as_of):
        params: dict[str, float] = stored["params"]  # type: ignore[assignment]
        out.models.append(stored)
        name = str(stored["model"])
        if name.startswith("sbg"):
            pair = np.array([params["alpha"], params["beta"]])
            surv = sbg.survival(pair, RETENTION_PERIODS)
            ret = sbg.retention(pair, RETENTION_PERIODS)
            out.retention.append(
                {
                    "model": name,
                    "periods": [
                        {
                            "period": t,
                            "survival": float(surv[t]),
                            "retention": None if t == 0 else float(ret[t - 1]),
                        }
                        for t in range(RETENTION_PERIODS + 1)
                    ],
                }
            )
    return out


def heatmap(scores: pd.DataFrame) -> list[dict[str, Any]]:
    """Mean P(alive) of the one-off buyers per (frequency, weeks since last purchase) cell."""
    t = scores.dropna(subset=["p_alive", "frequency", "recency_weeks"])
    if t.empty:
        return []
    f = np.minimum(t["frequency"].to_numpy(), FREQUENCY_BINS - 1).astype(int)
    r = np.searchsorted(np.array(RECENCY_EDGES), t["recency_weeks"].to_numpy(), side="right") - 1
    cells = pd.DataFrame({"f": f, "r": np.maximum(r, 0), "p": t["p_alive"].to_numpy()})
    out = []
    for (fi, ri), g in cells.groupby(["f", "r"], sort=True):
        out.append(
            {
                "frequency": f"{fi}+" if fi == FREQUENCY_BINS - 1 else str(fi),
                "recency": recency_label(int(ri)),
                "customers": len(g),
                "p_alive": float(g["p"].mean()),
            }
        )
    return out


def scored_day(con: duckdb.DuckDBPyConnection) -> dt.date | None:
    """The last scoring day (None: never scored)."""
    row = con.execute("SELECT max(as_of) FROM clv_scores").fetchone()
    return None if row is None or row[0] is None else row[0]
