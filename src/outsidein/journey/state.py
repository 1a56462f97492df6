"""Where each account is in its journey: current stage, time in stage and stage history.

Derived by rules from the data dated before ``as_of`` (no look-ahead), over the journey map's
stages (``[journey]``; the first ``post`` stage is where the purchase happened):

* a **pre-purchase** stage is entered at the account's first touchpoint in it: the
  touchpoint's own ``stage`` when it names a stage of the map, else the stage the map puts
  its channel in;
* the **last pre-purchase** stage also at the start of the account's first trial (a
  subscription with MRR 0) or its first product event, whichever is first;
* the **first post-purchase** stage on the first paid day (a subscription with MRR > 0);
* the **last post-purchase** stage (when the map has two or more) on the first renewal date
  of a contract the customer stayed through (a paid subscription active on that day);
* any other post-purchase stage at its first touchpoint on or after the first paid day.

Stages only move forward: the current stage is the furthest one entered, and the history
lists each step forward with its time. An account that paid and has no paid subscription any
more has ``left`` (the day its last one ended); paying again brings it ``back`` to the stage
it had reached. Time in stage counts from the latest entry of the history.
"""

from __future__ import annotations

import bisect
from collections.abc import Sequence
from datetime import datetime
from typing import NamedTuple

import duckdb
import pyarrow as pa

from outsidein.settings.journey import Stage

__all__ = ["LEFT", "JourneyState", "StageEntry", "journey_states", "stage_at"]

LEFT = "left"  # the account paid and has no paid subscription any more
_BACK = "back"


class StageEntry(NamedTuple):  # a tuple: thousands are built at once
    stage: str  # a stage of the map, or "left"
    at: datetime


class JourneyState(NamedTuple):  # a tuple: thousands are built at once
    account_id: str
    history: tuple[StageEntry, ...]  # oldest first
    as_of: datetime

    @property
    def stage(self) -> str | None:
        """The current stage (``left`` after churn), None before any stage."""
        return self.history[-1].stage if self.history else None

    @property
    def since(self) -> datetime | None:
        return self.history[-1].at if self.history else None

    @property
    def days_in_stage(self) -> float | None:
        if not self.history:
            return None
        return (self.as_of - self.history[-1].at).total_seconds() / 86400


def stage_at(history: Sequence[StageEntry], at: datetime) -> str | None:
    """The stage an account was in at ``at``, from its history."""
    i = bisect.bisect_right([e.at for e in history], at)
    return history[i - 1].stage if i else None


def _evidence_sql(stages: list[Stage]) -> tuple[str, dict[str, object]]:
    """One row per account and stage: the first time the rules (module doc) saw it."""
    n = len(stages)
    posts = [i for i, s in enumerate(stages) if s.phase == "post"]
    first_post = posts[0] if posts else n
    last_post = posts[-1] if len(posts) > 1 else None
    channel_rank = {c: i for i, s in enumerate(stages) for c in s.channels}
    name_rank = {s.name: i for i, s in enumerate(stages)}
    pairs = list(channel_rank.items()) or [("", -1)]
    names = list(name_rank.items()) or [("", -1)]
    params: dict[str, object] = {}
    for key, rows in (("c", pairs), ("n", names)):
        for i, (k, r) in enumerate(rows):
            params[f"{key}{i}"], params[f"{key}{i}r"] = k, r
    touch_ranks = [i for i in range(n) if i != first_post and i != last_post]
    ranks = ", ".join(map(str, touch_ranks)) or "-1"
    parts = [
        f"""
        SELECT t.account_id, coalesce(nm.r, cm.r) AS r, min(t."at") AS ts
        FROM touchpoints t
        LEFT JOIN nm ON nm.st = t.stage
        LEFT JOIN cm ON cm.ch = t.channel AND nm.r IS NULL
        LEFT JOIN first_paid fp ON fp.account_id = t.account_id
        WHERE t."at" < $as_of AND coalesce(nm.r, cm.r) IN ({ranks})
          AND (coalesce(nm.r, cm.r) < {first_post} OR t."at" >= fp.ts)
        GROUP BY ALL
        """
    ]
    if first_post > 0:
        parts.append(
            f"""SELECT account_id, {first_post - 1} AS r, min(start_date)::TIMESTAMP AS ts
            FROM subscriptions WHERE mrr = 0 AND start_date::TIMESTAMP < $as_of
            GROUP BY account_id
            UNION ALL
            SELECT account_id, {first_post - 1}, min("timestamp") FROM events
            WHERE "timestamp" < $as_of GROUP BY account_id"""
        )
    if first_post < n:
        parts.append(f"SELECT account_id, {first_post}, ts FROM first_paid")
    if last_post is not None:
        parts.append(
            f"""SELECT c.account_id, {last_post}, min(c.r1)::TIMESTAMP
            FROM (SELECT account_id, term_start + to_months(term_months) AS r1 FROM contracts
                  UNION ALL
                  SELECT account_id, start_date + INTERVAL 1 MONTH FROM subscriptions
                  WHERE contract_id IS NULL AND mrr > 0) c
            WHERE c.r1::TIMESTAMP < $as_of AND EXISTS (
                SELECT 1 FROM subscriptions s WHERE s.account_id = c.account_id AND s.mrr > 0
                  AND s.start_date <= c.r1 AND (s.end_date IS NULL OR s.end_date > c.r1))
            GROUP BY c.account_id"""
        )
    cm = ", ".join(f"($c{i}, $c{i}r)" for i in range(len(pairs)))
    nm = ", ".join(f"($n{i}, $n{i}r)" for i in range(len(names)))
    sql = f"""
        WITH cm AS (SELECT * FROM (VALUES {cm}) v(ch, r)),
        nm AS (SELECT * FROM (VALUES {nm}) v(st, r)),
        first_paid AS (
            SELECT account_id, min(start_date)::TIMESTAMP AS ts FROM subscriptions
            WHERE mrr > 0 AND start_date::TIMESTAMP < $as_of
              AND (end_date IS NULL OR end_date > start_date)
            GROUP BY account_id
        ),
        ev AS ({" UNION ALL ".join(parts)}),
        firsts AS (SELECT account_id, r, min(ts) AS ts FROM ev WHERE r IS NOT NULL GROUP BY ALL),
        stepped AS (
            SELECT *, max(r) OVER (
                PARTITION BY account_id ORDER BY ts, r
                ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS before
            FROM firsts
        ),
        paid AS (
            SELECT account_id, start_date::TIMESTAMP AS s,
                   coalesce(end_date, DATE '9999-12-31')::TIMESTAMP AS e
            FROM subscriptions
            WHERE mrr > 0 AND start_date::TIMESTAMP < $as_of
              AND (end_date IS NULL OR end_date > start_date)
        ),
        covered AS (
            SELECT *, max(e) OVER (PARTITION BY account_id ORDER BY s, e
                ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS cover
            FROM paid
        )
        SELECT account_id, r, ts FROM stepped WHERE before IS NULL OR r > before
        UNION ALL SELECT account_id, -1, cover FROM covered WHERE s > cover
        UNION ALL SELECT account_id, -2, s FROM covered WHERE s > cover
        UNION ALL SELECT account_id, -1, max(e) FROM paid GROUP BY account_id
                  HAVING max(e) <= $as_of
    """
    return sql, params


def journey_states(
    con: duckdb.DuckDBPyConnection,
    stages: list[Stage],
    as_of: datetime,
    *,
    accounts: Sequence[str] | None = None,
    csm: str | None = None,
) -> dict[str, JourneyState]:
    """Each account's journey state from the data before ``as_of`` (module doc), keyed by
    account id; ``accounts`` keeps those ids, ``csm`` that CSM's book. Accounts created
    before ``as_of`` that no rule has placed yet have an empty history."""
    sql, params = _evidence_sql(stages)
    cur = con.cursor()
    try:
        scope = "WHERE a.created_at < $as_of"
        named: dict[str, object] = {"as_of": as_of, **params}
        plain: dict[str, object] = {"as_of": as_of}
        if accounts is not None:
            cur.register("_oi_ids", pa.table({"account_id": pa.array(list(accounts), pa.string())}))
            scope += " AND a.account_id IN (SELECT account_id FROM _oi_ids)"
        if csm is not None:
            scope += " AND a.csm_id = $csm"
            plain["csm"] = csm
        ids = [r[0] for r in cur.execute(f"SELECT a.account_id FROM accounts a {scope} "
                                         "ORDER BY a.account_id", plain).fetchall()]  # fmt: skip
        # ordered here, kept to the scope below (a join here made DuckDB plan it 3x slower)
        rows = cur.execute(f"SELECT * FROM ({sql}) ORDER BY account_id, ts, r", named).fetchall()
    finally:
        cur.close()
    names = [s.name for s in stages]
    built: dict[str, list[StageEntry]] = {i: [] for i in ids}
    reached: dict[str, str] = {}
    for account_id, r, at in rows:
        history = built.get(account_id)
        if history is None:
            continue
        if r >= 0:
            reached[account_id] = names[r]
            if history and history[-1].stage == LEFT:
                continue  # a step seen while away counts when the account comes back
            history.append(StageEntry(names[r], at))
        elif r == -1:
            history.append(StageEntry(LEFT, at))
        elif account_id in reached:
            history.append(StageEntry(reached[account_id], at))
    return {a: JourneyState(a, tuple(h), as_of) for a, h in built.items()}
