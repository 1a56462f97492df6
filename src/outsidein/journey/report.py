"""Journey state and interruptions as the CLI prints them (``--json``), the API answers and
the pages show them: one shape, built here from :mod:`.state` and :mod:`.breaks`."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from datetime import date, datetime, time, timedelta
from typing import Any

import duckdb

from outsidein.analytics.today import report_dates
from outsidein.journey.breaks import KINDS, Interruption, JourneyBreaks, aggregate, find_breaks
from outsidein.journey.state import JourneyState, journey_states
from outsidein.settings.journey import JourneyConfig
from outsidein.store.freshness import data_last_day

__all__ = [
    "account_report",
    "end_of",
    "interruptions_report",
    "journey_summary",
    "state_report",
    "states_report",
]


def end_of(con: duckdb.DuckDBPyConnection, day: date | None) -> datetime:
    """The instant the journey is read at for ``as_of = day``: the end of that day, so the
    day's own facts count. Without a day: today, or the data's last day when it ends
    earlier (the reports' rule, :func:`outsidein.analytics.today.report_dates`, which also
    refuses a day in the future)."""
    dates = report_dates(None, day, data_last_day=data_last_day(con))
    return datetime.combine(dates.as_of, time()) + timedelta(days=1)


def _state(s: JourneyState) -> dict[str, Any]:
    days = s.days_in_stage
    return {
        "account_id": s.account_id,
        "stage": s.stage,
        "since": s.since,
        "days_in_stage": None if days is None else round(days, 1),
        "history": [{"stage": e.stage, "at": e.at} for e in s.history],
    }


def state_report(s: JourneyState) -> dict[str, Any]:
    """One account's journey state."""
    return {"as_of": s.as_of, **_state(s)}


def states_report(
    con: duckdb.DuckDBPyConnection,
    journey: JourneyConfig,
    as_of: datetime,
    *,
    accounts: Sequence[str] | None = None,
    csm: str | None = None,
    stage: str | None = None,
    limit: int = 500,
) -> dict[str, Any]:
    """Every account's state in scope: how many are in each stage (in map order, then
    ``left`` and ``none``: not placed yet), and the accounts (``stage`` keeps one stage)."""
    states = journey_states(con, journey.map(), as_of, accounts=accounts, csm=csm)
    counts = Counter(s.stage or "none" for s in states.values())
    order = [st.name for st in journey.map()] + ["left", "none"]
    chosen = [s for s in states.values() if stage is None or (s.stage or "none") == stage]
    return {
        "as_of": as_of,
        "total": len(chosen),
        "by_stage": [{"stage": k, "accounts": counts[k]} for k in order if counts[k]],
        "items": [_state(s) for s in chosen[:limit]],
    }


def _item(i: Interruption) -> dict[str, Any]:
    return {
        "kind": i.kind,
        "account_id": i.account_id,
        "at": i.at,
        "function": i.function,
        "stage": i.stage,
        "ref": i.ref,
        "case_id": i.case_id,
        "evidence": i.evidence,
        "open": i.open,
    }


def interruptions_report(
    con: duckdb.DuckDBPyConnection,
    journey: JourneyConfig,
    as_of: datetime,
    *,
    days: int = 90,
    accounts: Sequence[str] | None = None,
    csm: str | None = None,
    kind: str | None = None,
    function: str | None = None,
    stage: str | None = None,
    open_only: bool = False,
    limit: int = 500,
) -> dict[str, Any]:
    """The interruptions of the ``days`` before ``as_of`` in scope, newest first, filtered by
    kind, function, stage and still open; the counts by kind and the aggregate by function
    and stage of those filtered; first-contact resolution of the cases closed meanwhile."""
    found: JourneyBreaks = find_breaks(
        con, journey, as_of, days=days, accounts=accounts, csm=csm,
        kinds=[kind] if kind else None,
    )  # fmt: skip
    items = [
        i for i in found.items
        if (function is None or i.function == function) and (stage is None or i.stage == stage)
        and (not open_only or i.open)
    ]  # fmt: skip
    by_kind = Counter(i.kind for i in items)
    return {
        "as_of": as_of,
        "since": found.since,
        "total": len(items),
        "open": sum(i.open for i in items),
        "accounts": len({i.account_id for i in items}),
        "by_kind": [{"kind": k, "count": by_kind[k]} for k in KINDS if by_kind[k]],
        "by_function_stage": aggregate(items),
        "cases_closed": found.cases_closed,
        "first_contact_resolution": None if found.fcr is None else round(found.fcr, 4),
        "items": [_item(i) for i in reversed(items[-limit:])] if limit else [],
    }


def account_report(
    con: duckdb.DuckDBPyConnection, journey: JourneyConfig, account_id: str, *, days: int = 90
) -> dict[str, Any]:
    """The account page's journey section from one pass (the states and the interruptions
    of :func:`find_breaks`): its state, its interruptions of the last ``days`` still open,
    and how many there were in all."""
    found = find_breaks(con, journey, end_of(con, None), days=days, accounts=[account_id])
    state = found.states.get(account_id)
    return {
        "state": None if state is None else _state(state),
        "open": [_item(i) for i in reversed(found.items) if i.open],
        "total": len(found.items),
        "stages": [s.name for s in journey.map()],
    }


def journey_summary(con: duckdb.DuckDBPyConnection, journey: JourneyConfig) -> str:
    """One line for ``outsidein demo``: the accounts by stage and the last 90 days' breaks."""
    at = end_of(con, None)
    states = states_report(con, journey, at, limit=0)
    r = interruptions_report(con, journey, at, limit=0)
    stages = ", ".join(f"{s['stage']} {s['accounts']:,}" for s in states["by_stage"])
    kinds = ", ".join(f"{k['kind'].replace('_', ' ')} {k['count']:,}" for k in r["by_kind"])
    fcr = r["first_contact_resolution"]
    return (
        f"journey: {stages}; {r['total']:,} interruptions in 90 days on {r['accounts']:,} "
        f"accounts ({kinds})" + ("" if fcr is None else f", first-contact resolution {fcr:.1%}")
    )
