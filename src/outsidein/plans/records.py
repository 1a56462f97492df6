"""Success plans as stored: create, read, change and delete a plan and its milestones
(docs/plans.md). Progress is computed elsewhere (:mod:`outsidein.plans.progress`); this module
only checks that what is stored can be measured: a snapshot column that exists, an outcome of
the catalog, an expression that types as a number over the snapshot's columns.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Literal, get_args

import duckdb

from outsidein.errors import NotFoundError, OutsideInError
from outsidein.expr import Catalogue, Type, compile_expression
from outsidein.expr.errors import ExpressionError
from outsidein.store import custom_fields

__all__ = [
    "MEASURE_KINDS",
    "MeasureKind",
    "Milestone",
    "Plan",
    "PlanError",
    "create_plan",
    "delete_plan",
    "get_plan",
    "list_plans",
    "metric_catalogue",
    "update_plan",
]

MeasureKind = Literal["metric", "custom", "satisfaction", "formula"]
MEASURE_KINDS: tuple[str, ...] = get_args(MeasureKind)
_NOT_METRICS = {"account_id", "date", "computed_at", "config_version", "currency"}


class PlanError(OutsideInError):
    """A plan that cannot be stored as given: the message names the field and the fix."""

    code = "invalid_plan"
    http_status = 422
    exit_code = 2


@dataclass(frozen=True)
class Milestone:
    """A step on the way: reached when the measure reaches ``target`` or when marked done."""

    title: str
    due_date: date
    target: float | None = None
    done_at: datetime | None = None


@dataclass(frozen=True)
class Plan:
    """One outcome agreed with an account, with the measure tied to data."""

    plan_id: str
    account_id: str
    title: str
    measure_kind: str
    measure: str
    baseline: float
    target: float
    start_date: date
    due_date: date
    outcome_id: str | None = None
    unit: str | None = None
    owner: str | None = None
    created_by: str | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None
    milestones: tuple[Milestone, ...] = field(default=())


_COLUMNS = (
    "plan_id, account_id, title, measure_kind, measure, baseline, target, start_date, "
    "due_date, outcome_id, unit, owner, created_by, created_at, updated_at"
)


def metric_catalogue(cur: duckdb.DuckDBPyConnection) -> Catalogue:
    """The numeric columns of the daily snapshot: what a metric or a formula may read."""
    rows = cur.execute(
        "SELECT column_name, data_type FROM information_schema.columns "
        "WHERE table_name = 'account_daily_metrics' ORDER BY ordinal_position"
    ).fetchall()
    numeric = ("DOUBLE", "BIGINT", "INTEGER", "DECIMAL", "HUGEINT", "FLOAT", "SMALLINT")
    return Catalogue(
        {n: Type.NUMBER for n, t in rows if n not in _NOT_METRICS and t.startswith(numeric)}
    )


def _check(cur: duckdb.DuckDBPyConnection, p: Plan) -> None:
    """Refuse what could never be measured, naming the field and what would be valid."""
    if p.measure_kind not in MEASURE_KINDS:
        raise PlanError(f"measure_kind {p.measure_kind!r}: use one of {', '.join(MEASURE_KINDS)}")
    if p.due_date <= p.start_date:
        raise PlanError(f"due_date {p.due_date} must be after start_date {p.start_date}")
    if p.target == p.baseline:
        raise PlanError(f"target {p.target:g} equals the baseline: no progress could be made")
    if not cur.execute("SELECT 1 FROM accounts WHERE account_id = ?", [p.account_id]).fetchall():
        raise NotFoundError(f"no account with account_id {p.account_id!r}")
    if p.outcome_id is not None:
        found = cur.execute("SELECT 1 FROM outcomes WHERE outcome_id = ?", [p.outcome_id])
        if not found.fetchall():
            raise PlanError(f"outcome_id {p.outcome_id!r} is not in the catalog")
    catalogue = metric_catalogue(cur)
    if p.measure_kind == "metric" and p.measure not in catalogue.fields:
        known = ", ".join(sorted(catalogue.fields))
        raise PlanError(f"measure {p.measure!r} is not a snapshot metric; the metrics: {known}")
    if p.measure_kind == "satisfaction":
        found = cur.execute("SELECT 1 FROM outcomes WHERE outcome_id = ?", [p.measure])
        if not found.fetchall():
            raise PlanError(
                f"measure {p.measure!r}: a satisfaction measure names a catalog outcome"
            )
    if p.measure_kind == "custom":
        names = [f["name"] for f in custom_fields.fields(cur, "accounts")]
        if p.measure not in names:
            raise PlanError(
                f"measure {p.measure!r} is not a custom field of accounts; they are: "
                + (", ".join(names) or "none yet")
            )
    if p.measure_kind == "formula":
        try:
            compile_expression(p.measure, catalogue, want=Type.NUMBER)
        except ExpressionError as exc:
            raise PlanError(f"measure (formula): {exc.message}") from exc


def _write_milestones(
    cur: duckdb.DuckDBPyConnection, plan_id: str, ms: tuple[Milestone, ...]
) -> None:
    cur.execute("DELETE FROM success_plan_milestones WHERE plan_id = ?", [plan_id])
    for i, m in enumerate(ms, start=1):
        cur.execute(
            "INSERT INTO success_plan_milestones VALUES (?, ?, ?, ?, ?, ?)",
            [plan_id, i, m.title, m.due_date, m.target, m.done_at],
        )


def create_plan(cur: duckdb.DuckDBPyConnection, plan: Plan, *, actor: str | None = None) -> Plan:
    """Store ``plan`` (a new id when it has none) and its milestones; answer it as stored."""
    now = datetime.now(UTC).replace(tzinfo=None)
    made = Plan(**{**plan.__dict__, "plan_id": plan.plan_id or f"P-{uuid.uuid4().hex[:10]}",
                   "created_by": actor, "created_at": now, "updated_at": now})  # fmt: skip
    _check(cur, made)
    cur.execute("BEGIN")
    try:
        if cur.execute("SELECT 1 FROM success_plans WHERE plan_id = ?", [made.plan_id]).fetchall():
            raise PlanError(f"plan_id {made.plan_id!r} exists already")
        cur.execute(
            f"INSERT INTO success_plans ({_COLUMNS}) VALUES ({', '.join('?' * 15)})",
            [made.plan_id, made.account_id, made.title, made.measure_kind, made.measure,
             made.baseline, made.target, made.start_date, made.due_date, made.outcome_id,
             made.unit, made.owner, made.created_by, made.created_at, made.updated_at],
        )  # fmt: skip
        _write_milestones(cur, made.plan_id, made.milestones)
        cur.execute("COMMIT")
    except BaseException:
        cur.execute("ROLLBACK")
        raise
    return get_plan(cur, made.plan_id)


def update_plan(cur: duckdb.DuckDBPyConnection, plan: Plan) -> Plan:
    """Replace a stored plan's terms and milestones (its account, creator and creation stay)."""
    old = get_plan(cur, plan.plan_id)
    now = datetime.now(UTC).replace(tzinfo=None)
    new = Plan(**{**plan.__dict__, "account_id": old.account_id, "created_by": old.created_by,
                  "created_at": old.created_at, "updated_at": now})  # fmt: skip
    _check(cur, new)
    cur.execute("BEGIN")
    try:
        cur.execute(
            "UPDATE success_plans SET title = ?, measure_kind = ?, measure = ?, baseline = ?, "
            "target = ?, start_date = ?, due_date = ?, outcome_id = ?, unit = ?, owner = ?, "
            "updated_at = ? WHERE plan_id = ?",
            [new.title, new.measure_kind, new.measure, new.baseline, new.target, new.start_date,
             new.due_date, new.outcome_id, new.unit, new.owner, now, new.plan_id],
        )  # fmt: skip
        _write_milestones(cur, new.plan_id, new.milestones)
        cur.execute("COMMIT")
    except BaseException:
        cur.execute("ROLLBACK")
        raise
    return get_plan(cur, new.plan_id)


def delete_plan(cur: duckdb.DuckDBPyConnection, plan_id: str) -> None:
    get_plan(cur, plan_id)
    cur.execute("DELETE FROM success_plan_milestones WHERE plan_id = ?", [plan_id])
    cur.execute("DELETE FROM success_plans WHERE plan_id = ?", [plan_id])


def list_plans(
    cur: duckdb.DuckDBPyConnection,
    *,
    account_id: str | None = None,
    csm: str | None = None,
    plan_ids: list[str] | None = None,
) -> list[Plan]:
    """Stored plans (of one account, of one CSM's book), by account then due date."""
    rows = cur.execute(
        f"SELECT {', '.join('p.' + c for c in _COLUMNS.split(', '))} FROM success_plans p "
        "LEFT JOIN accounts a USING (account_id) "
        "WHERE ($account IS NULL OR p.account_id = $account) "
        "AND ($csm IS NULL OR lower(a.csm_id) = lower($csm)) "
        "AND ($ids IS NULL OR list_contains($ids, p.plan_id)) "
        "ORDER BY p.account_id, p.due_date, p.plan_id",
        {"account": account_id, "csm": csm, "ids": plan_ids},
    ).fetchall()
    stones: dict[str, list[Milestone]] = {}
    if rows:
        for pid, *rest in cur.execute(
            "SELECT plan_id, title, due_date, target, done_at FROM success_plan_milestones "
            "WHERE list_contains($ids, plan_id) ORDER BY plan_id, seq",
            {"ids": [r[0] for r in rows]},
        ).fetchall():
            stones.setdefault(pid, []).append(Milestone(*rest))
    names = _COLUMNS.split(", ")
    return [
        Plan(**dict(zip(names, r, strict=True)), milestones=tuple(stones.get(r[0], ())))
        for r in rows
    ]


def get_plan(cur: duckdb.DuckDBPyConnection, plan_id: str, *, csm: str | None = None) -> Plan:
    found = list_plans(cur, plan_ids=[plan_id], csm=csm)
    if not found:
        raise NotFoundError(f"no success plan with plan_id {plan_id!r}")
    return found[0]
