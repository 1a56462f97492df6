"""The data an estimate reads: a playbook's firings, and each account's outcomes month by month.

Outcomes come from the daily snapshot (``account_daily_metrics``, docs/metrics.md) on the
last day of each month (the data's last day for the running month: the snapshot's days
after it are left out, as nobody's usage could have arrived for them). ``active_users_28``
and ``key_features_used_28`` count the 28 days up to that day, so a month's value is untouched
by a firing on or after the day its window starts. Health is the stored score in force that
day (``health_scores``). An account counts in a month while it is a customer that day (MRR
or seats bought); otherwise its value is missing, not zero.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date, timedelta

import duckdb
import numpy as np
from numpy.typing import NDArray

from outsidein.errors import NotFoundError
from outsidein.store.freshness import data_last_day

__all__ = ["WINDOW_DAYS", "Firings", "Panel", "read_firings", "read_panel"]

F64 = NDArray[np.float64]
I64 = NDArray[np.int64]
B = NDArray[np.bool_]
WINDOW_DAYS = 28
EPOCH = date(1970, 1, 1)
SNAPSHOT_OUTCOMES = ("active_users_28", "key_features_used_28")


@dataclass(frozen=True)
class Firings:
    """Each account's first firing of one playbook (later ones are the same treatment)."""

    playbook: str
    rows: int  # every firing, repeats included
    account_ids: list[str]
    fired_day: I64  # days since 1970-01-01 of the first firing
    held_out: B
    score: F64  # the running variable recorded at the firing (NaN when none)
    score_field: str | None
    threshold: float | None


@dataclass(frozen=True)
class Panel:
    """Accounts x months: ``values[outcome][i, t]`` at ``ends[t]`` (NaN: not a customer)."""

    account_ids: list[str]
    ends: list[date]
    values: dict[str, F64]  # the outcomes, and "arr" (MRR x 12) for matching
    segments: list[str | None] = field(default_factory=list)  # accounts.segment (matching)

    def index(self) -> dict[str, int]:
        return {a: i for i, a in enumerate(self.account_ids)}

    def end_days(self) -> I64:
        return np.array([(d - EPOCH).days for d in self.ends], dtype=np.int64)


def read_firings(con: duckdb.DuckDBPyConnection, playbook: str) -> Firings:
    """The playbook's firings, one row per account (its first); 404 when it never fired."""
    rows = con.execute(
        "SELECT account_id, fired_at, held_out, context FROM playbook_firings "
        "WHERE playbook = ? ORDER BY account_id, fired_at",
        [playbook],
    ).fetchall()
    if not rows:
        raise NotFoundError(f"playbook {playbook!r} has no firings to estimate from")
    firsts: dict[str, tuple[object, bool, str | None]] = {}
    for account_id, fired_at, held, context in rows:
        firsts.setdefault(str(account_id), (fired_at, bool(held), context))
    ids = list(firsts)
    days, held_out, scores = [], [], []
    fields: set[str | None] = set()
    thresholds: set[float | None] = set()
    for account_id in ids:
        fired_at, held, context = firsts[account_id]
        days.append((fired_at.date() - EPOCH).days)  # type: ignore[attr-defined]
        held_out.append(held)
        ctx = _context(context)
        score = ctx.get("score")
        scores.append(float(score) if isinstance(score, int | float) else np.nan)
        score_field = ctx.get("score_field")
        fields.add(score_field if isinstance(score_field, str) else None)
        t = ctx.get("threshold")
        thresholds.add(float(t) if isinstance(t, int | float) else None)
    one_field = fields.pop() if len(fields) == 1 else None
    one_threshold = thresholds.pop() if len(thresholds) == 1 else None
    return Firings(
        playbook=playbook,
        rows=len(rows),
        account_ids=ids,
        fired_day=np.array(days, dtype=np.int64),
        held_out=np.array(held_out, dtype=np.bool_),
        score=np.array(scores, dtype=np.float64),
        score_field=one_field,
        threshold=one_threshold,
    )


def _context(text: object) -> dict[str, object]:
    if not isinstance(text, str):
        return {}
    try:
        value = json.loads(text)
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def month_ends(first: date, last: date) -> list[date]:
    """The last day of each month from ``first`` to ``last`` (``last`` for the running one),
    keeping only days with a full 28-day window after ``first``."""
    out = []
    month = first.replace(day=1)
    while month <= last:
        nxt = (month.replace(day=28) + timedelta(days=4)).replace(day=1)
        end = min(nxt - timedelta(days=1), last)
        if end - timedelta(days=WINDOW_DAYS - 1) >= first:
            out.append(end)
        month = nxt
    return out


def read_panel(con: duckdb.DuckDBPyConnection) -> Panel:
    """Every account's snapshot outcomes and health on each month's last day."""
    span = con.execute("SELECT min(date), max(date) FROM account_daily_metrics").fetchone()
    if span is None or span[0] is None:
        raise NotFoundError("no daily snapshot yet: `outsidein metrics snapshot` computes it")
    data_last = data_last_day(con)
    last = min(span[1], data_last) if data_last is not None else span[1]
    ends = month_ends(span[0], last)
    accounts = [
        str(r[0])
        for r in con.execute(
            "SELECT DISTINCT account_id FROM account_daily_metrics ORDER BY 1"
        ).fetchall()
    ]
    index = {a: i for i, a in enumerate(accounts)}
    col = {d: t for t, d in enumerate(ends)}
    values = {
        k: np.full((len(accounts), len(ends)), np.nan)
        for k in (*SNAPSHOT_OUTCOMES, "health_score", "arr")
    }
    data = con.execute(
        "SELECT m.account_id, m.date, m.active_users_28, m.key_features_used_28, "
        "12 * coalesce(m.mrr, 0) AS arr "
        "FROM account_daily_metrics m "
        "WHERE list_contains(?::DATE[], m.date) AND (m.mrr > 0 OR coalesce(m.seats_bought, 0) > 0)",
        [ends],
    ).fetchnumpy()
    rows = np.array([index[str(a)] for a in data["account_id"]], dtype=np.int64)
    cols = np.array([col[_as_date(d)] for d in data["date"]], dtype=np.int64)
    for name in (*SNAPSHOT_OUTCOMES, "arr"):
        values[name][rows, cols] = np.asarray(data[name], dtype=np.float64)
    segment = dict(con.execute("SELECT account_id, segment FROM accounts").fetchall())
    health = con.execute(
        "SELECT h.account_id, e.d, arg_max(h.score, h.valid_from) FROM health_scores h "
        "JOIN (SELECT unnest(?::DATE[]) AS d) e ON h.valid_from < e.d + INTERVAL 1 DAY "
        "GROUP BY 1, 2",
        [ends],
    ).fetchall()
    present = ~np.isnan(values["active_users_28"])
    for account_id, d, score in health:
        i = index.get(str(account_id))
        if i is not None and score is not None and present[i, col[d]]:
            values["health_score"][i, col[d]] = float(score)
    segments = [segment.get(a) for a in accounts]
    return Panel(account_ids=accounts, ends=ends, values=values, segments=segments)


def _as_date(value: object) -> date:
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])
