"""Trigger kinds: the registry that says, for one playbook, which accounts its signal names.

Each kind is a :class:`TriggerKind`: its evaluator (``facts`` of the accounts in scope and the
trigger's settings in, :class:`Hits` out: ``account_id, reason, context``), the tables whose
change may make it fire (the pipeline step reads them), and ``once``: its reasons name one
event (an answer, a renewal date, a schedule period), so a reason never fires twice.

A new kind (segment entered or left, churn risk, a journey interruption) is one settings model
added to :data:`outsidein.settings.playbooks.TRIGGER_MODELS` and one :func:`register` call
here (or from the module that owns the signal, imported before the step runs).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from outsidein.expr import Type, compile_expression
from outsidein.expr.errors import ExpressionError
from outsidein.expr.vector import evaluate
from outsidein.jobs.fields import FIELD, segment_fields
from outsidein.journey.breaks import find_breaks
from outsidein.plans import list_plans, progress_of
from outsidein.playbooks.errors import PlaybookError
from outsidein.playbooks.facts import Facts, score_before
from outsidein.settings import playbooks as s

__all__ = ["HITS_SCHEMA", "REGISTRY", "TriggerContext", "TriggerKind", "condition_mask", "register"]

HITS_SCHEMA = pa.schema(
    [("account_id", pa.string()), ("reason", pa.string()), ("context", pa.string())]
)
_EPOCH = date(1970, 1, 1)


@dataclass(frozen=True)
class TriggerContext:
    """What an evaluator may read: the store and the facts of the accounts in scope."""

    con: duckdb.DuckDBPyConnection
    facts: Facts
    cache: dict[Any, Any] = field(default_factory=dict)  # shared by evaluators within a run


Evaluate = Callable[[TriggerContext, Any], pa.Table]


@dataclass(frozen=True)
class TriggerKind:
    kind: str
    evaluate: Evaluate
    reads: tuple[str, ...]
    once: bool = False


REGISTRY: dict[str, TriggerKind] = {}


def register(kind: TriggerKind) -> TriggerKind:
    """Add a kind (its settings model must be in ``TRIGGER_MODELS`` with the same name)."""
    REGISTRY[kind.kind] = kind
    return kind


def condition_mask(facts: Facts, text: str, where: str) -> np.ndarray:
    """Rows of ``facts`` where the expression ``text`` holds (null is false)."""
    try:
        expression = compile_expression(text, facts.catalogue, want=Type.BOOL)
    except ExpressionError as exc:
        raise PlaybookError(f"{where}: {exc.message}", path=where) from exc
    column = evaluate(expression, facts.table)
    return np.asarray(column.valid & column.values.astype(bool))


def _where(
    facts: Facts, mask: np.ndarray, reason: str | list[str], context: Any = None
) -> pa.Table:
    """Hits for the rows in ``mask``: one reason for all, or a reason per row; ``context``:
    JSON text per row (a list or an Arrow array), or one dict for all."""
    ids = facts.table.column("account_id").filter(pa.array(mask))
    n = len(ids)
    reasons = pa.array([reason] * n if isinstance(reason, str) else reason, pa.string())
    if isinstance(context, pa.Array):
        contexts = context
    elif isinstance(context, list):
        contexts = pa.array(context, pa.string())
    else:
        contexts = pa.array([json.dumps(context or {})] * n, pa.string())
    return pa.table([ids, reasons, contexts], schema=HITS_SCHEMA)


def _json_numbers(**columns: np.ndarray) -> pa.Array:
    """``{"key": value, ...}`` JSON text per row, built column-wise (values rounded to 3)."""
    parts: list[Any] = []
    for i, (key, values) in enumerate(columns.items()):
        text = pc.cast(pc.round(pa.array(values, pa.float64()), 3), pa.string())
        parts += [("{" if i == 0 else ", ") + json.dumps(key) + ": ", text]
    return pc.binary_join_element_wise(*parts, "}", "")


def _numbers(facts: Facts, name: str) -> tuple[np.ndarray, np.ndarray]:
    column = facts.table.column(name)
    valid = np.asarray(column.is_valid().to_numpy(zero_copy_only=False), dtype=bool)
    values = np.asarray(column.fill_null(0).to_numpy(zero_copy_only=False), dtype=np.float64)
    return values, valid


def _health_below(ctx: TriggerContext, t: s.HealthBelow) -> pa.Table:
    """Accounts scored below the threshold; the context names the running variable (the
    score, its field and the threshold), so the impact estimate is a regression
    discontinuity there (docs/impact.md)."""
    score, valid = _numbers(ctx.facts, "health_score")
    mask = valid & (score < t.threshold)
    below = score[mask]
    numbers = _json_numbers(
        health_score=below, score=below, threshold=np.full(len(below), float(t.threshold))
    )
    field = '{"score_field": "health_score", '
    contexts = pc.binary_join_element_wise(field, pc.utf8_slice_codeunits(numbers, 1), "")
    return _where(ctx.facts, mask, f"health below {t.threshold:g}", contexts)


def _health_drop(ctx: TriggerContext, t: s.HealthDrop) -> pa.Table:
    score, valid = _numbers(ctx.facts, "health_score")
    if t.days not in ctx.cache:  # the scores then, once per run for all such playbooks
        ctx.cache[t.days] = score_before(ctx.con, ctx.facts.now, t.days)
    before = ctx.cache[t.days]
    positions = pc.index_in(ctx.facts.table.column("account_id"), before.column("account_id"))
    earlier = pc.take(before.column("score"), positions)
    was = np.asarray(earlier.fill_null(np.nan).to_numpy(zero_copy_only=False), dtype=np.float64)
    mask = valid & ~np.isnan(was) & (was - score >= t.points)
    contexts = _json_numbers(**{"from": was[mask], "to": score[mask]})
    return _where(ctx.facts, mask, f"health fell {t.points:g}+ points in {t.days} days", contexts)


def _renewal_in(ctx: TriggerContext, t: s.RenewalIn) -> pa.Table:
    days, valid = _numbers(ctx.facts, "days_to_renewal")
    mask = valid & (days >= 0) & (days <= t.days)
    today = ctx.facts.now.date()
    dates = [(today + timedelta(days=int(d))).isoformat() for d in days[mask]]
    contexts = [json.dumps({"renewal_date": d, "days_to_renewal": int(n)})
                for d, n in zip(dates, days[mask], strict=True)]  # fmt: skip
    return _where(ctx.facts, mask, [f"renewal on {d}" for d in dates], contexts)


def _segment_moves(
    ctx: TriggerContext, segment: str, within_days: int, column: str, verb: str
) -> pa.Table:
    """Accounts of the scope that entered (or left) ``segment`` in the window: one row per
    move (its time in the reason, so each move fires once), from the stored intervals."""
    cur = ctx.con.cursor()
    try:
        cur.register("_pb_scope", ctx.facts.table.select(["account_id"]))
        return cur.sql(
            f"SELECT m.account_id, $verb || ' segment ' || m.segment_id || ' at ' "
            f"|| strftime(m.{column}, '%Y-%m-%dT%H:%M:%S') AS reason, "
            f"to_json({{segment: m.segment_id, moved_at: m.{column}}})::VARCHAR AS context "
            f"FROM segment_membership m JOIN _pb_scope USING (account_id) "
            f"WHERE m.segment_id = $segment AND m.{column} >= $since AND m.{column} <= $now "
            f"ORDER BY m.account_id, m.{column}",
            params={"verb": verb, "segment": segment, "now": ctx.facts.now,
                    "since": ctx.facts.now - timedelta(days=within_days)},
        ).to_arrow_table()  # fmt: skip
    finally:
        cur.close()


def _segment_entered(ctx: TriggerContext, t: s.SegmentEntered) -> pa.Table:
    return _segment_moves(ctx, t.segment, t.within_days, "entered_at", "entered")


def _segment_left(ctx: TriggerContext, t: s.SegmentLeft) -> pa.Table:
    return _segment_moves(ctx, t.segment, t.within_days, "left_at", "left")


def _survey_answer(ctx: TriggerContext, t: s.SurveyAnswer) -> pa.Table:
    cur = ctx.con.cursor()
    try:
        cur.register("_pb_scope", ctx.facts.table.select(["account_id"]))
        return cur.sql(
            "SELECT r.account_id, $kind || ' answer ' || r.response_id AS reason, "
            "to_json({response_id: r.response_id, score: r.score, survey: r.survey, "
            "comment: r.comment, contact_id: r.contact_id, answered_at: r.answered_at})::VARCHAR "
            "AS context FROM survey_responses r JOIN _pb_scope USING (account_id) "
            "WHERE r.kind = $kind AND r.score <= $most AND r.answered_at >= $since "
            "ORDER BY r.account_id, r.answered_at, r.response_id",
            params={"kind": t.survey, "most": t.at_most,
                    "since": ctx.facts.now - timedelta(days=t.within_days)},
        ).to_arrow_table().cast(HITS_SCHEMA)  # fmt: skip
    finally:
        cur.close()


def _usage_drop(ctx: TriggerContext, t: s.UsageDrop) -> pa.Table:
    trend, valid = _numbers(ctx.facts, f"events_trend_{t.window}")
    mask = valid & (trend <= -t.drop)
    contexts = _json_numbers(**{f"events_trend_{t.window}": trend[mask]})
    return _where(ctx.facts, mask, f"usage fell {t.drop:.0%}+ over {t.window} days", contexts)


def _schedule(ctx: TriggerContext, t: s.Schedule) -> pa.Table:
    today = ctx.facts.now.date()
    period = (today - _EPOCH).days // t.every_days
    start = _EPOCH + timedelta(days=period * t.every_days)
    mask = np.ones(ctx.facts.rows, dtype=bool)
    return _where(ctx.facts, mask, f"schedule from {start.isoformat()}", {"period": str(start)})


def _condition(ctx: TriggerContext, t: s.Condition) -> pa.Table:
    mask = condition_mask(ctx.facts, t.expression, "trigger.expression")
    return _where(ctx.facts, mask, f"condition: {t.expression}"[:300])


def _journey_interruption(ctx: TriggerContext, t: s.JourneyInterruption) -> pa.Table:
    """One hit per interruption of the scope's accounts in the window (its kind and id in the
    reason, so each fires once), with its evidence."""
    found = find_breaks(
        ctx.con, ctx.facts.journey, ctx.facts.now, days=t.within_days,
        accounts=ctx.facts.table.column("account_id").to_pylist(), kinds=t.kinds or None,
    )  # fmt: skip
    rows = [
        (i.account_id, f"{i.kind} {i.ref}",
         json.dumps({"kind": i.kind, "ref": i.ref, "at": i.at.isoformat(), "stage": i.stage,
                     "function": i.function, "evidence": i.evidence}))
        for i in found.items
    ]  # fmt: skip
    columns: list[list[str]] = [[r[k] for r in rows] for k in range(3)]
    return pa.table(columns, schema=HITS_SCHEMA)


_SNAPSHOT = ("account_daily_metrics",)
_LOADED = ("subscriptions", "contracts", "accounts", "cases", "survey_responses")
for _kind in (
    TriggerKind("health_below", _health_below, ("health_scores",)),
    TriggerKind("health_drop", _health_drop, ("health_scores",)),
    TriggerKind("renewal_in", _renewal_in, ("subscriptions", "contracts"), once=True),
    TriggerKind("survey_answer", _survey_answer, ("survey_responses",), once=True),
    TriggerKind("usage_drop", _usage_drop, _SNAPSHOT),
    TriggerKind("schedule", _schedule, (), once=True),
    TriggerKind("condition", _condition, (*_SNAPSHOT, *_LOADED, "health_scores")),
    TriggerKind("segment_entered", _segment_entered, ("segment_membership",), once=True),
    TriggerKind("segment_left", _segment_left, ("segment_membership",), once=True),
    TriggerKind(
        "journey_interruption",
        _journey_interruption,
        ("touchpoints", "cases", "case_assignments", "subscriptions"),
        once=True,
    ),
):
    register(_kind)


# -- success in the customer's own terms (docs/plans.md, docs/jobs.md) -------------------------


def _plan_off_track(ctx: TriggerContext, t: s.PlanOffTrack) -> pa.Table:
    """One hit per plan off track (or at risk) today: the plan is in the reason."""
    wanted = {"off_track", "at_risk"} if t.at_risk else {"off_track"}
    scope = set(ctx.facts.table.column("account_id").to_pylist())
    plans = [p for p in list_plans(ctx.con) if p.account_id in scope]
    found = [r for r in progress_of(ctx.con, plans, ctx.facts.now.date()) if r.status in wanted]
    found.sort(key=lambda r: (r.plan.account_id, r.plan.plan_id))
    contexts = [
        json.dumps({"plan_id": r.plan.plan_id, "title": r.plan.title, "status": r.status,
                    "progress": r.progress, "expected": round(r.expected, 3)})
        for r in found
    ]  # fmt: skip
    return pa.table(
        [pa.array([r.plan.account_id for r in found], pa.string()),
         pa.array([f"plan {r.plan.plan_id} {r.status.replace('_', ' ')}" for r in found],
                  pa.string()),
         pa.array(contexts, pa.string())],
        schema=HITS_SCHEMA,
    )  # fmt: skip


def _outcome_satisfaction(ctx: TriggerContext, t: s.OutcomeSatisfaction) -> pa.Table:
    """Accounts whose satisfaction with the outcome (jobs.fields, the one definition) is at
    most ``at_most`` on the day."""
    found = segment_fields(ctx.con, ctx.facts.now.date(), outcome_id=t.outcome)
    index = pc.index_in(ctx.facts.table.column("account_id"), found.column("account_id"))
    column = pc.take(found.column(FIELD), index)
    valid = np.asarray(column.is_valid().to_numpy(zero_copy_only=False), dtype=bool)
    values = np.asarray(column.fill_null(99).to_numpy(zero_copy_only=False), dtype=np.float64)
    mask = valid & (values <= t.at_most)
    what = f"satisfaction with {t.outcome}" if t.outcome else "outcome satisfaction"
    contexts = _json_numbers(outcome_satisfaction=values[mask])
    return _where(ctx.facts, mask, f"{what} at or below {t.at_most:g}", contexts)


register(
    TriggerKind(
        "plan_off_track",
        _plan_off_track,
        ("success_plans", "success_plan_milestones", *_SNAPSHOT, "survey_responses"),
    )
)
register(TriggerKind("outcome_satisfaction", _outcome_satisfaction, ("survey_responses",)))


def _churn_risk_above(ctx: TriggerContext, t: s.ChurnRiskAbove) -> pa.Table:
    """Accounts whose latest churn risk (outsidein.predict) is above the threshold."""
    from outsidein.predict.fields import latest_probabilities

    found = latest_probabilities(ctx.con, "churn", ctx.facts.now.date())
    at = pc.index_in(ctx.facts.table.column("account_id"), found.column("account_id"))
    risk = pc.take(found.column("probability"), at).fill_null(np.nan)
    values = np.asarray(risk.to_numpy(zero_copy_only=False), dtype=np.float64)
    mask = ~np.isnan(values) & (values > t.threshold)
    contexts = _json_numbers(churn_risk=values[mask])
    return _where(ctx.facts, mask, f"churn risk above {t.threshold:.0%}", contexts)


register(TriggerKind("churn_risk_above", _churn_risk_above, ("predictions",)))
