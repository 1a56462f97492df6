"""Progress of success plans, computed from the data as it was on a day (docs/plans.md#status).

The measure's value on a day is read from the data already defined elsewhere: a snapshot
metric (the latest ``account_daily_metrics`` row up to the day), an expression over that row,
the account's satisfaction with one outcome (:func:`outsidein.jobs.fields.segment_fields`,
the one definition) or a custom field (today's value only: the store keeps no history of
custom fields, so a past day has no value).

Progress is how far the value has moved from the baseline towards the target (0 at the
baseline, 1 at the target, whichever the direction); expected progress is the straight line
from the start date (0) to the due date (1). The status on a day:

* ``achieved``: progress 1 or more;
* ``off_track``: past the due date and not achieved, or behind the line by more than
  :data:`FAR` (0.30);
* ``at_risk``: behind the line by more than :data:`TOLERANCE` (0.10);
* ``on_track``: otherwise; ``not_started`` before the start date; ``no_data`` without a value.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime

import duckdb
import pyarrow as pa

from outsidein.expr import Type, compile_expression
from outsidein.expr.vector import evaluate_arrow
from outsidein.jobs.fields import FIELD as SATISFACTION
from outsidein.jobs.fields import segment_fields as satisfaction_fields
from outsidein.plans.records import Milestone, Plan, list_plans, metric_catalogue
from outsidein.store import custom_fields

__all__ = [
    "FAR",
    "RULE",
    "STATUSES",
    "TOLERANCE",
    "AccountPlans",
    "Progress",
    "account_plans",
    "off_track_counts",
    "progress_of",
    "status_counts",
    "status_of",
    "values_on",
]

TOLERANCE = 0.10
FAR = 0.30
# Worst first: the order lists and pages sort by.
STATUSES = ("off_track", "at_risk", "no_data", "not_started", "on_track", "achieved")


@dataclass(frozen=True)
class MilestoneProgress:
    milestone: Milestone
    reached: bool
    overdue: bool


@dataclass(frozen=True)
class Progress:
    """One plan on one day: its value, progress, the line's expectation and its status."""

    plan: Plan
    as_of: date
    value: float | None
    progress: float | None
    expected: float
    status: str
    realised: float | None  # value minus baseline, in the measure's unit
    milestones: tuple[MilestoneProgress, ...]


def _today() -> date:
    return datetime.now(UTC).date()


def _metric_values(
    cur: duckdb.DuckDBPyConnection, day: date, accounts: list[str], column: str
) -> dict[str, float | None]:
    rows = cur.execute(
        f'SELECT account_id, arg_max("{column}"::DOUBLE, "date") FROM account_daily_metrics '
        'WHERE "date" <= $day AND account_id IN (SELECT unnest($ids)) GROUP BY account_id',
        {"day": day, "ids": accounts},
    ).fetchall()
    return dict(rows)


def _formula_values(
    cur: duckdb.DuckDBPyConnection, day: date, accounts: list[str], text: str
) -> dict[str, float | None]:
    catalogue = metric_catalogue(cur)
    expression = compile_expression(text, catalogue, want=Type.NUMBER)
    cols = ", ".join(f'"{n}"::DOUBLE AS "{n}"' for n in catalogue.fields)
    table = cur.sql(
        f"SELECT account_id, {cols} FROM account_daily_metrics "
        'WHERE "date" <= $day AND account_id IN (SELECT unnest($ids)) '
        'QUALIFY row_number() OVER (PARTITION BY account_id ORDER BY "date" DESC) = 1',
        params={"day": day, "ids": accounts},
    ).to_arrow_table()
    found = evaluate_arrow(expression, table).to_pylist()
    return dict(zip(table.column("account_id").to_pylist(), found, strict=True))


def _satisfaction_values(
    cur: duckdb.DuckDBPyConnection, day: date, accounts: list[str], outcome: str
) -> dict[str, float | None]:
    table = satisfaction_fields(cur, day, outcome_id=outcome)
    wanted = set(accounts)
    return {
        a: v
        for a, v in zip(table.column("account_id").to_pylist(),
                        table.column(SATISFACTION).to_pylist(), strict=True)
        if a in wanted
    }  # fmt: skip


def _custom_values(
    cur: duckdb.DuckDBPyConnection, day: date, accounts: list[str], name: str
) -> dict[str, float | None]:
    if day < _today():  # only today's value is kept
        return {}
    known = {f["name"]: f["type"] for f in custom_fields.fields(cur, "accounts")}
    if known.get(name) != "number":
        return {}
    table = custom_fields.values(cur, "accounts", [name])
    return dict(
        zip(table.column("account_id").to_pylist(), table.column(name).to_pylist(), strict=True)
    )


_READERS = {
    "metric": _metric_values,
    "formula": _formula_values,
    "satisfaction": _satisfaction_values,
    "custom": _custom_values,
}


def values_on(
    cur: duckdb.DuckDBPyConnection, plans: list[Plan], day: date
) -> dict[str, float | None]:
    """Each plan's measure on ``day`` (None when the data has no value): one query per
    distinct measure, whatever the number of plans."""
    groups: dict[tuple[str, str], list[Plan]] = defaultdict(list)
    for p in plans:
        groups[(p.measure_kind, p.measure)].append(p)
    out: dict[str, float | None] = {}
    for (kind, measure), members in groups.items():
        found = _READERS[kind](cur, day, sorted({p.account_id for p in members}), measure)
        for p in members:
            v = found.get(p.account_id)
            out[p.plan_id] = None if v is None or v != v else float(v)
    return out


def status_of(plan: Plan, value: float | None, day: date) -> tuple[float | None, float, str]:
    """``(progress, expected, status)`` of ``plan`` with ``value`` on ``day`` (module doc)."""
    span = (plan.due_date - plan.start_date).days
    expected = min(max((day - plan.start_date).days / span, 0.0), 1.0)
    if value is None:
        return None, expected, "no_data"
    progress = (value - plan.baseline) / (plan.target - plan.baseline)
    if progress >= 1:
        return progress, expected, "achieved"
    if day < plan.start_date:
        return progress, expected, "not_started"
    if day > plan.due_date or expected - progress > FAR:
        return progress, expected, "off_track"
    if expected - progress > TOLERANCE:
        return progress, expected, "at_risk"
    return progress, expected, "on_track"


def _reached(plan: Plan, m: Milestone, value: float | None, day: date) -> bool:
    if m.done_at is not None and m.done_at.date() <= day:
        return True
    if m.target is None or value is None:
        return False
    up = plan.target > plan.baseline
    return value >= m.target if up else value <= m.target


def progress_of(
    cur: duckdb.DuckDBPyConnection, plans: list[Plan], as_of: date | None = None
) -> list[Progress]:
    """Every plan's progress on ``as_of`` [today], worst status first, then soonest due."""
    day = as_of or _today()
    values = values_on(cur, plans, day)
    out = []
    for p in plans:
        value = values.get(p.plan_id)
        progress, expected, status = status_of(p, value, day)
        reached = [_reached(p, m, value, day) for m in p.milestones]
        stones = tuple(
            MilestoneProgress(m, hit, not hit and day > m.due_date)
            for m, hit in zip(p.milestones, reached, strict=True)
        )
        realised = None if value is None else value - p.baseline
        out.append(Progress(p, day, value, progress, expected, status, realised, stones))
    out.sort(key=lambda r: (STATUSES.index(r.status), r.plan.due_date, r.plan.plan_id))
    return out


def status_counts(rows: list[Progress]) -> dict[str, int]:
    """How many plans are in each status (every status, worst first)."""
    return {s: sum(1 for r in rows if r.status == s) for s in STATUSES}


@dataclass(frozen=True)
class AccountPlans:
    """An account's success plan on a day: each outcome's progress, how many are in each
    status, and the value realised so far per unit (the business-review summary)."""

    account_id: str
    as_of: date
    plans: list[Progress]
    counts: dict[str, int]
    realised: dict[str, float]  # unit -> value realised so far, summed over the plans


def account_plans(
    cur: duckdb.DuckDBPyConnection, account_id: str, as_of: date | None = None
) -> AccountPlans:
    found = progress_of(cur, list_plans(cur, account_id=account_id), as_of)
    counts = status_counts(found)
    realised: dict[str, float] = defaultdict(float)
    for r in found:
        if r.realised is not None:
            realised[r.plan.unit or r.plan.measure] += r.realised
    return AccountPlans(account_id, as_of or _today(), found, counts, dict(realised))


def off_track_counts(cur: duckdb.DuckDBPyConnection, day: date) -> pa.Table:
    """``account_id, plans_off_track``: how many of each account's plans started by ``day``
    are off track on it (a health input); only accounts with such a plan have a row."""
    plans = [p for p in list_plans(cur) if p.start_date <= day]
    counts: dict[str, float] = {}
    for r in progress_of(cur, plans, day):
        counts[r.plan.account_id] = counts.get(r.plan.account_id, 0.0) + (r.status == "off_track")
    return pa.table(
        {
            "account_id": pa.array(list(counts), pa.string()),
            "plans_off_track": pa.array(list(counts.values()), pa.float64()),
        }
    )


RULE = (
    f"Progress: 0 % at the baseline, 100 % at the target. The line: where progress would be "
    f"on a straight line from the start date to the due date. At risk: behind the line by more "
    f"than {TOLERANCE * 100:.0f} points; off track: behind by more than {FAR * 100:.0f}, or "
    f"past the due date and not achieved."
)
