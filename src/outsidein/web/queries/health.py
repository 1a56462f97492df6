"""Health for the pages: the stored history read through :mod:`outsidein.health.history`,
explained by :mod:`outsidein.health.explain`, beside analytics' per-account figures.

Nothing here scores an account: scores, bands and contributions are the stored history's
(``scores_at``, ``score_at``, ``trend``), the explanation and "what moved" are the engine's
``explain`` and ``what_moved`` over the stored contributions, ARR and renewal dates are
:func:`outsidein.analytics.lifecycle.account_status`'s (the accounts list's, from the same
cache). The portfolio and the at-risk list count customers: accounts neither prospects nor
churned on the report day.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any, Literal

import duckdb

from outsidein.analytics import AnalyticsConfig, store_sources
from outsidein.analytics.lifecycle import account_status
from outsidein.analytics.today import report_dates
from outsidein.health.explain import Explanation, Move, explain, number, what_moved
from outsidein.health.history import HealthScore, TrendPoint, score_at, scores_at, trend
from outsidein.health.read import band_order, stored_scores_of
from outsidein.settings.health import HealthConfig
from outsidein.store.freshness import data_last_day
from outsidein.tiers.history import tiers_in_force
from outsidein.web.queries.figures_cache import figures_cache
from outsidein.web.queries.rows import fetch_dicts, utc_now

__all__ = [
    "WINDOWS",
    "AccountHealth",
    "AtRiskList",
    "Portfolio",
    "account_health",
    "at_risk",
    "band_order",
    "portfolio",
    "risk_bands",
]

WINDOWS = (30, 60, 90, 180)  # renewal windows (days) of "ARR at risk"
MOVERS = 10  # accounts in "biggest movers this week"
WHY = 3  # measures named in an at-risk account's "why"
TREND_DAYS = 365

AtRiskSort = Literal["score", "arr", "renewal_date", "last_touch", "name"]
Order = Literal["asc", "desc"]
_SORTS: dict[AtRiskSort, str] = {
    "score": "h.score",
    "arr": "n.arr",
    "renewal_date": "n.renewal_date",
    "last_touch": "t.last_touch",
    "name": "lower(a.name)",
}
_SCORES, _NOW = "health_now", "health_figures"


def risk_bands(health: HealthConfig) -> list[str]:
    """The bands that mean "at risk": every band but the best of each scorecard."""
    best = {card.bands[-1].label for card in health.scorecards.values()}
    return [b for b in band_order(health) if b not in best]


@contextmanager
def _registered(
    cur: duckdb.DuckDBPyConnection, config: AnalyticsConfig, at: datetime, as_of: date
) -> Iterator[None]:
    """The effective scores at ``at`` and each account's status, ARR and renewal date on
    ``as_of`` (the accounts list's cached figures), registered on this cursor."""
    figures = figures_cache.get(
        cur,
        ("status", as_of, config.model_dump_json()),
        lambda: account_status(store_sources(cur), config, as_of).to_pyarrow(),
    )
    cur.register(_SCORES, scores_at(cur, at))
    cur.register(_NOW, figures)
    try:
        yield
    finally:
        cur.unregister(_SCORES)
        cur.unregister(_NOW)


def _customers(join: str = "") -> str:
    """FROM and WHERE of the customers on the report day (``join``: more tables)."""
    return f"""
    FROM accounts a JOIN {_NOW} n USING (account_id) LEFT JOIN {_SCORES} h USING (account_id)
    {join}
    WHERE n.status NOT IN ('prospect', 'churned')
      AND ($csm IS NULL OR lower(a.csm_id) = lower($csm))
"""


_CUSTOMERS = _customers()
# ... with the touch tier in force on $day (the scores' day), as health's inputs read it.
_TIERED = _customers(f"LEFT JOIN ({tiers_in_force()}) t USING (account_id)")


@dataclass(frozen=True)
class Mover:
    account_id: str
    name: str
    before: float
    after: float
    band: str | None
    why: str  # the input that moved most, in words

    @property
    def change(self) -> float:
        return self.after - self.before


@dataclass(frozen=True)
class Portfolio:
    at: datetime
    as_of: date
    notice: str | None
    currency: str
    bands: list[str]
    risk: list[str]
    by_band: list[dict[str, Any]]  # band (None: no score), accounts, arr
    by_segment: list[dict[str, Any]]  # segment, band, accounts
    by_tier: list[dict[str, Any]]  # tier (None: not recorded yet), band, accounts, arr
    at_risk_arr: list[dict[str, Any]]  # band, window (days or None: later/none), accounts, arr
    movers: list[Mover]

    @property
    def customers(self) -> int:
        return sum(int(r["accounts"]) for r in self.by_band)

    @property
    def arr_at_risk(self) -> Decimal:
        return sum((Decimal(r["arr"]) for r in self.by_band if r["band"] in self.risk), Decimal(0))


def _dates(cur: duckdb.DuckDBPyConnection) -> tuple[date, str | None]:
    dates = report_dates(None, None, data_last_day=data_last_day(cur))
    return dates.as_of, dates.notice


def portfolio(
    cur: duckdb.DuckDBPyConnection,
    config: AnalyticsConfig,
    health: HealthConfig,
    *,
    csm: str | None = None,
    at: datetime | None = None,
) -> Portfolio:
    """The customers' health by band and segment, ARR at risk by band and renewal window
    (:data:`WINDOWS`), and the week's biggest movers."""
    at = at or utc_now()
    as_of, notice = _dates(cur)
    params: dict[str, Any] = {"csm": csm}
    window = " ".join(f"WHEN n.renewal_date - $as_of <= {d} THEN {d}" for d in WINDOWS)
    with figures_cache.one_reading(cur), _registered(cur, config, at, as_of):
        by_band = fetch_dicts(
            cur,
            f"SELECT h.band, count(*) AS accounts, coalesce(sum(n.arr), 0) AS arr {_CUSTOMERS} "
            "GROUP BY h.band",
            params,
        )
        by_segment = fetch_dicts(
            cur,
            f"SELECT a.segment, h.band, count(*) AS accounts {_CUSTOMERS} "
            "GROUP BY a.segment, h.band ORDER BY lower(a.segment) NULLS LAST",
            params,
        )
        by_tier = fetch_dicts(
            cur,
            f"""SELECT t.tier, h.band, count(*) AS accounts, coalesce(sum(n.arr), 0) AS arr
            {_TIERED}
            GROUP BY t.tier, h.band ORDER BY t.tier NULLS LAST""",
            {**params, "day": at.date()},  # the tier in force when the scores are read
        )
        at_risk_arr = fetch_dicts(
            cur,
            f"""SELECT h.band, CASE WHEN n.renewal_date IS NULL THEN NULL {window} END AS window,
                   count(*) AS accounts, coalesce(sum(n.arr), 0) AS arr {_CUSTOMERS}
            AND h.band IS NOT NULL GROUP BY ALL""",
            {**params, "as_of": as_of},
        )
        movers = _movers(cur, health, at, params)
    bands = band_order(health)
    rank = {b: i for i, b in enumerate(bands)}
    by_band.sort(key=lambda r: rank.get(r["band"], len(bands)) if r["band"] else len(bands) + 1)
    at_risk_arr.sort(key=lambda r: (rank.get(r["band"], len(bands)), r["window"] or 10**6))
    return Portfolio(
        at=at,
        as_of=as_of,
        notice=notice,
        currency=config.reporting_currency,
        bands=bands,
        risk=risk_bands(health),
        by_band=by_band,
        by_segment=by_segment,
        by_tier=by_tier,
        at_risk_arr=at_risk_arr,
        movers=movers,
    )


_MOVERS = f"""
    SELECT a.account_id, a.name, b.computed_score AS before, h.computed_score AS after, h.band,
           b.valid_from AS before_from, h.valid_from AS after_from
    FROM accounts a JOIN {_NOW} n USING (account_id) JOIN {_SCORES} h USING (account_id)
    JOIN _oi_week_ago b USING (account_id)
    WHERE n.status NOT IN ('prospect', 'churned')
      AND ($csm IS NULL OR lower(a.csm_id) = lower($csm))
      AND h.computed_score IS NOT NULL AND b.computed_score IS NOT NULL
      AND h.valid_from <> b.valid_from AND h.computed_score <> b.computed_score
    ORDER BY abs(h.computed_score - b.computed_score) DESC, a.account_id
    LIMIT {MOVERS}
"""


def _movers(
    cur: duckdb.DuckDBPyConnection, health: HealthConfig, at: datetime, params: dict[str, Any]
) -> list[Mover]:
    """The customers whose computed score changed most between a week before ``at`` and
    ``at`` (in SQL, over the two stored readings), each with the input that moved most
    (``what_moved`` over the two stored rows)."""
    cur.register("_oi_week_ago", scores_at(cur, at - timedelta(days=7)))
    try:
        rows = fetch_dicts(cur, _MOVERS, params)
    finally:
        cur.unregister("_oi_week_ago")
    old = stored_scores_of(cur, health, [(r["account_id"], r["before_from"]) for r in rows])
    new = stored_scores_of(cur, health, [(r["account_id"], r["after_from"]) for r in rows])
    out = []
    for r in rows:
        moves = what_moved(old, new, r["account_id"])
        why = moves[0].text if moves else ""
        out.append(Mover(r["account_id"], r["name"], r["before"], r["after"], r["band"], why))
    return out


def _what_moved(
    cur: duckdb.DuckDBPyConnection,
    health: HealthConfig,
    account_id: str,
    before: datetime,
    after: datetime,
) -> list[Move]:
    old = stored_scores_of(cur, health, [(account_id, before)])
    new = stored_scores_of(cur, health, [(account_id, after)])
    return what_moved(old, new, account_id)


# -- the at-risk list ----------------------------------------------------------------------


@dataclass(frozen=True)
class AtRiskRow:
    account_id: str
    name: str
    csm_id: str | None
    csm_name: str | None
    score: float | None
    band: str | None
    overridden: bool
    arr: Decimal
    renewal_date: date | None
    last_touch: datetime | None
    why: list[str]


@dataclass(frozen=True)
class AtRiskList:
    items: list[AtRiskRow]
    total: int
    arr_total: Decimal
    bands: list[str]
    currency: str
    as_of: date
    notice: str | None
    page: int
    page_size: int


def why(explanation: Explanation, limit: int = WHY) -> list[str]:
    """The measures that cost the score most points, in words: "NPS 3 scores 0 of 100"."""
    costly = [
        m
        for m in explanation.measures
        if not m.missing and m.points is not None and m.weight > 0 and m.points < 100
    ]
    costly.sort(key=lambda m: (-(m.weight * (100 - (m.points or 0))), m.measure))
    lines = []
    for m in costly[:limit]:
        named = f"{m.label} {number(m.raw)}" if m.raw is not None else m.label
        lines.append(
            f"{named} scores {m.points:.0f} of 100" + (" (sets the score)" if m.set_score else "")
        )
    return lines


def at_risk(
    cur: duckdb.DuckDBPyConnection,
    config: AnalyticsConfig,
    health: HealthConfig,
    *,
    csm: str | None = None,
    sort: AtRiskSort = "score",
    order: Order = "asc",
    page: int = 1,
    page_size: int = 25,
    at: datetime | None = None,
) -> AtRiskList:
    """Customers in an at-risk band (:func:`risk_bands`; an override's band counts), with
    why, the renewal date and the latest touchpoint, sorted and paged."""
    at = at or utc_now()
    as_of, notice = _dates(cur)
    bands = risk_bands(health)
    params: dict[str, Any] = {"csm": csm, "bands": bands}
    where = f"{_CUSTOMERS} AND list_contains($bands, h.band)"
    direction = "DESC" if order == "desc" else "ASC"
    with figures_cache.one_reading(cur), _registered(cur, config, at, as_of):
        total, arr_total = cur.execute(
            f"SELECT count(*), coalesce(sum(n.arr), 0) {where}", params
        ).fetchall()[0]
        rows = fetch_dicts(
            cur,
            f"""SELECT a.account_id, a.name, a.csm_id, c.name AS csm_name, h.score, h.band,
                   h.override_id IS NOT NULL AS overridden, h.valid_from,
                   coalesce(n.arr, 0) AS arr, n.renewal_date, t.last_touch
            FROM accounts a JOIN {_NOW} n USING (account_id)
            LEFT JOIN {_SCORES} h USING (account_id)
            LEFT JOIN csms c ON c.csm_id = a.csm_id
            LEFT JOIN (SELECT account_id, max("at") AS last_touch FROM touchpoints
                       GROUP BY account_id) t ON t.account_id = a.account_id
            WHERE n.status NOT IN ('prospect', 'churned')
              AND ($csm IS NULL OR lower(a.csm_id) = lower($csm))
              AND list_contains($bands, h.band)
            ORDER BY {_SORTS[sort]} {direction} NULLS LAST, a.account_id
            LIMIT $limit OFFSET $offset""",
            {**params, "limit": page_size, "offset": (page - 1) * page_size},
        )
    keys = [(r["account_id"], r["valid_from"]) for r in rows if r["valid_from"] is not None]
    scores = stored_scores_of(cur, health, keys) if keys else None
    stored = set() if scores is None else set(scores.accounts["account_id"].to_pylist())
    items = [
        AtRiskRow(
            account_id=r["account_id"],
            name=r["name"],
            csm_id=r["csm_id"],
            csm_name=r["csm_name"],
            score=r["score"],
            band=r["band"],
            overridden=bool(r["overridden"]),
            arr=r["arr"],
            renewal_date=r["renewal_date"],
            last_touch=r["last_touch"],
            why=why(explain(scores, r["account_id"]))
            if scores is not None and r["account_id"] in stored
            else [],
        )
        for r in rows
    ]
    return AtRiskList(
        items,
        int(total),
        arr_total,
        bands,
        config.reporting_currency,
        as_of,
        notice,
        page,
        page_size,
    )


# -- one account ---------------------------------------------------------------------------


@dataclass(frozen=True)
class AccountHealth:
    """The account page's health card: the score in force, its explanation, what moved
    since the previous stored score, and the trend."""

    now: HealthScore
    explanation: Explanation | None
    previous: HealthScore | None
    moves: list[Move]
    trend: list[TrendPoint]


def account_health(
    cur: duckdb.DuckDBPyConnection,
    account_id: str,
    health: HealthConfig,
    *,
    at: datetime | None = None,
) -> AccountHealth | None:
    """The account's health card; None when it has no score nor override on record."""
    at = at or utc_now()
    now = score_at(cur, account_id, at)
    if now is None:
        return None
    explanation, previous, moves = None, None, []
    if now.valid_from is not None:
        stored = stored_scores_of(cur, health, [(account_id, now.valid_from)])
        explanation = explain(stored, account_id)
        previous = score_at(cur, account_id, now.valid_from - timedelta(microseconds=1))
        if previous is not None and previous.valid_from is not None:
            moves = _what_moved(cur, health, account_id, previous.valid_from, now.valid_from)
    return AccountHealth(
        now,
        explanation,
        previous,
        moves,
        trend(cur, account_id, at - timedelta(days=TREND_DAYS), at),
    )
