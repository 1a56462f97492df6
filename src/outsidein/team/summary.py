"""One line on a store's team, for ``outsidein demo`` and the closing notes."""

from __future__ import annotations

import duckdb

from outsidein.config import OutsideInConfig
from outsidein.team.report import team_report

__all__ = ["summary"]


def summary(con: duckdb.DuckDBPyConnection, config: OutsideInConfig) -> str:
    """ "team on 2026-11-30: 34 CSMs, 33 holding 1,575 customers (45,925,516 USD ARR,
    1,391,682 per CSM); 1 over capacity; 35 moves suggested" — the team page's figures."""
    r = team_report(con, config)
    per_csm = f"{r.arr_per_csm:,.0f}" if r.arr_per_csm is not None else "-"
    return (
        f"team on {r.as_of}: {len(r.books)} CSMs, {r.holding} holding {r.accounts:,} customers "
        f"({r.arr:,.0f} {r.currency} ARR, {per_csm} per CSM); {len(r.over)} over capacity; "
        f"{len(r.plan.moves)} moves suggested"
    )
