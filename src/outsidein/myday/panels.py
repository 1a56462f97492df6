"""My day's own panels, each read from the definition its package owns: renewals from
:func:`outsidein.analytics.renewals.renewals`, quiet accounts from the daily snapshot, health
drops from :func:`outsidein.health.history.scores_at`, detractors by
:func:`outsidein.analytics.nps.nps_category_sql`, urgent cases by the open-case rule of the
accounts list (status open or pending).
"""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Any
from urllib.parse import quote

import duckdb
import pyarrow as pa

from outsidein.analytics import store_sources
from outsidein.analytics.nps import nps_category_sql
from outsidein.analytics.renewals import renewals
from outsidein.display import money
from outsidein.health.history import scores_at
from outsidein.myday.models import DayItem
from outsidein.myday.registry import DayContext, Panel, register_panel
from outsidein.store.last_seen import last_seen_mark, last_seen_sql

__all__ = [
    "HEALTH_DROP",
    "OPEN_STATUSES",
    "QUIET_DROP",
    "URGENT_PRIORITIES",
]

QUIET_DROP = 0.5  # events in 28 days fell by half or more against the 28 days before
QUIET_MIN_EVENTS = 20  # ... from at least this many (a handful of events is no habit)
HEALTH_DROP = 10.0  # points of health lost within the look-back
OPEN_STATUSES = ("open", "pending")
URGENT_PRIORITIES = ("urgent", "high")


def fetch_dicts(cur: duckdb.DuckDBPyConnection, sql: str, params: dict[str, Any]
                ) -> list[dict[str, Any]]:  # fmt: skip
    cur.execute(sql, params)
    names = [d[0] for d in cur.description or ()]
    return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]


def _link(account_id: str) -> str:
    return f"/accounts/{quote(account_id, safe='')}"


def _names(ctx: DayContext, ids: list[str]) -> dict[str, tuple[str, str | None]]:
    """Name and CSM of the accounts ``ids`` that are in the book."""
    rows = ctx.cur.execute(
        f"SELECT account_id, name, csm_id FROM accounts a WHERE list_contains($ids, account_id) "
        f"AND {ctx.book_sql()}",
        {"ids": ids, "csm": ctx.csm},
    ).fetchall()
    return {str(r[0]): (str(r[1]), r[2]) for r in rows}


def renewals_due(ctx: DayContext) -> list[DayItem]:
    """Term contracts renewing within ``days`` after ``as_of``, soonest first."""
    due: pa.Table = renewals(store_sources(ctx.cur), ctx.config.analytics, ctx.as_of,
                             days=ctx.days).to_pyarrow()  # fmt: skip
    currency = ctx.config.analytics.reporting_currency
    names = _names(ctx, [str(a) for a in due.column("account_id").to_pylist()])
    out = []
    for r in due.to_pylist():
        if r["account_id"] not in names:
            continue
        name, csm = names[r["account_id"]]
        left = int(r["days_left"])
        out.append(DayItem(
            account_id=r["account_id"], account_name=name, csm_id=csm,
            headline=f"Renews {r['renewal_date']:%-d %b %Y}, in {left} day{'s' * (left != 1)}",
            detail=f"ARR {money(r['arr'], currency)} · {r['billing_period']} contract"
            + ("" if r["auto_renew"] else " · no auto-renew"),
            at=datetime.combine(r["renewal_date"], time()), value=float(left),
            link=_link(r["account_id"]),
        ))  # fmt: skip
    return out


def went_quiet(ctx: DayContext) -> list[DayItem]:
    """Paying accounts whose events in 28 days fell by :data:`QUIET_DROP` or more against the
    28 days before, on the snapshot's day (``as_of`` or the latest before it)."""
    rows = fetch_dicts(
        ctx.cur,
        f"""WITH day AS (SELECT max("date") AS d FROM account_daily_metrics WHERE "date" <= $as_of),
        seen AS ({last_seen_sql()})
        SELECT m.account_id, a.name, a.csm_id, m.events_28, m.events_prev_28,
               m.active_users_28, s.last_seen
        FROM account_daily_metrics m JOIN day ON m."date" = day.d
        JOIN accounts a USING (account_id) LEFT JOIN seen s USING (account_id)
        WHERE m.mrr > 0 AND m.events_prev_28 >= $min_events
          AND m.events_28 <= (1 - $drop) * m.events_prev_28 AND {ctx.book_sql()}
        ORDER BY m.events_28::DOUBLE / m.events_prev_28, m.account_id""",
        {"as_of": ctx.as_of, "min_events": QUIET_MIN_EVENTS, "drop": QUIET_DROP,
         "csm": ctx.csm, "mark": last_seen_mark(ctx.cur)},
    )  # fmt: skip
    out = []
    for r in rows:
        fall = 1 - r["events_28"] / r["events_prev_28"]
        seen = r["last_seen"]
        out.append(DayItem(
            account_id=r["account_id"], account_name=r["name"], csm_id=r["csm_id"],
            headline=f"Usage down {fall:.0%}: {r['events_28']:,} events in 28 days, "
            f"{r['events_prev_28']:,} the 28 before",
            detail=f"{r['active_users_28']:,} active users in 28 days · last seen "
            + (f"{seen:%-d %b %Y}" if seen else "never"),
            at=seen, value=round(fall * 100, 1), link=_link(r["account_id"]),
        ))  # fmt: skip
    return out


def health_dropped(ctx: DayContext) -> list[DayItem]:
    """Accounts whose effective health score fell by :data:`HEALTH_DROP` points or more
    between ``days`` before now and now (stored history), the largest fall first."""
    before = {r["account_id"]: r for r in scores_at(ctx.cur, ctx.at - timedelta(days=ctx.days))
              .to_pylist()}  # fmt: skip
    now = scores_at(ctx.cur, ctx.at).to_pylist()
    fell: list[tuple[float, dict[str, Any], dict[str, Any]]] = []
    for r in now:
        b = before.get(r["account_id"])
        if b is None or r["score"] is None or b["score"] is None:
            continue
        if b["score"] - r["score"] >= HEALTH_DROP:
            fell.append((b["score"] - r["score"], r, b))
    names = _names(ctx, [r["account_id"] for _, r, _ in fell])
    fell.sort(key=lambda f: (-f[0], f[1]["account_id"]))
    out = []
    for drop, r, b in fell:
        if r["account_id"] not in names:
            continue
        name, csm = names[r["account_id"]]
        bands = f"{b['band']} → {r['band']}" if b["band"] != r["band"] else r["band"]
        out.append(DayItem(
            account_id=r["account_id"], account_name=name, csm_id=csm,
            headline=f"Health {b['score']:.0f} → {r['score']:.0f} in {ctx.days} days",
            detail=f"band {bands}" if bands else None, at=r["valid_from"],
            value=round(drop, 1), link=_link(r["account_id"]) + "#health",
        ))  # fmt: skip
    return out


def new_detractors(ctx: DayContext) -> list[DayItem]:
    """NPS answers of 0-6 (detractors) given within ``days`` up to ``as_of``, newest first."""
    rows = fetch_dicts(
        ctx.cur,
        f"""SELECT r.account_id, a.name, a.csm_id, r.score, r.answered_at, r."comment",
                   r.survey, c.name AS contact
        FROM survey_responses r JOIN accounts a USING (account_id)
        LEFT JOIN contacts c ON c.contact_id = r.contact_id
        WHERE r.kind = 'nps' AND {nps_category_sql("r.score")} = 'detractor'
          AND r.answered_at >= $since AND r.answered_at < $until AND {ctx.book_sql()}
        ORDER BY r.answered_at DESC, r.response_id""",
        {"since": ctx.as_of - timedelta(days=ctx.days - 1),
         "until": ctx.as_of + timedelta(days=1), "csm": ctx.csm},
    )  # fmt: skip
    return [
        DayItem(
            account_id=r["account_id"], account_name=r["name"], csm_id=r["csm_id"],
            headline=f"NPS {r['score']:.0f} on {r['answered_at']:%-d %b %Y}"
            + (f" from {r['contact']}" if r["contact"] else ""),
            detail=" · ".join(x for x in (r["comment"], r["survey"]) if x) or None,
            at=r["answered_at"], value=float(r["score"]), link=_link(r["account_id"]),
        )
        for r in rows
    ]  # fmt: skip


def urgent_cases(ctx: DayContext) -> list[DayItem]:
    """Open (or pending) cases of urgent or high priority, urgent first, oldest first."""
    rows = fetch_dicts(
        ctx.cur,
        f"""SELECT k.account_id, a.name, a.csm_id, k.case_id, k.subject, k.priority,
                   k.status, k.opened_at, k.sla_hours
        FROM cases k JOIN accounts a USING (account_id)
        WHERE list_contains($open, k.status) AND list_contains($urgent, k.priority)
          AND {ctx.book_sql()}
        ORDER BY list_position($urgent, k.priority), k.opened_at, k.case_id""",
        {"open": list(OPEN_STATUSES), "urgent": list(URGENT_PRIORITIES), "csm": ctx.csm},
    )
    end = datetime.combine(ctx.as_of + timedelta(days=1), time())
    out = []
    for r in rows:
        hours = max(0.0, (end - r["opened_at"]).total_seconds() / 3600)
        late = r["sla_hours"] is not None and hours > r["sla_hours"]
        out.append(DayItem(
            account_id=r["account_id"], account_name=r["name"], csm_id=r["csm_id"],
            headline=f"{r['priority'].capitalize()} case: {r['subject'] or '(no subject)'}",
            detail=f"{r['status']} since {r['opened_at']:%-d %b %Y}"
            + (f" · past its {r['sla_hours']:.0f} h SLA" if late else "") + f" · {r['case_id']}",
            at=r["opened_at"], value=round(hours / 24, 1), link=_link(r["account_id"]),
        ))  # fmt: skip
    return out


for _panel in (
    Panel("renewals", "Renewals due", "No renewals due in this window.", renewals_due),
    Panel("quiet", "Went quiet", "No account's usage fell by half.", went_quiet),
    Panel("health", "Dropped in health", "No account lost 10 health points.", health_dropped),
    Panel("detractors", "New detractors", "No NPS detractor answers in this window.",
          new_detractors),
    Panel("cases", "Urgent cases", "No open urgent or high-priority cases.", urgent_cases),
):  # fmt: skip
    register_panel(_panel)
