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
    score, valid = _numbers(ctx.facts, "health_score")
    mask = valid & (score < t.threshold)
    contexts = _json_numbers(health_score=score[mask])
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
):
    register(_kind)
