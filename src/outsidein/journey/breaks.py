"""Where journeys break: every interruption of the accounts in scope, each with its evidence,
and their aggregate by function and stage (docs/journey.md "Interruptions").

Kinds: failed touchpoints, hand-offs not taken up within their limit, stalls (time in the
current stage beyond the p90 of comparable accounts' completed stays: the same stage and
account segment, or every account's stays in the stage when the segment has too few),
ping-pong, repeat contacts, SLA breaches, the customer chasing, and work with no owner. Each
is dated; its stage is the account's journey stage at that moment (:mod:`.state`). Nothing
dated on or after ``as_of`` is read.
"""

from __future__ import annotations

from bisect import bisect_right
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from itertools import pairwise
from operator import attrgetter
from typing import NamedTuple

import duckdb
import numpy as np
import pyarrow as pa

from outsidein.journey.case_breaks import (
    Found,
    case_break_counts,
    case_breaks,
    first_contact_resolution,
)
from outsidein.journey.interruptions import broken_handoffs
from outsidein.journey.state import LEFT, JourneyState, journey_states
from outsidein.settings.journey import (
    INTERRUPTION_KINDS,
    InterruptionSettings,
    JourneyConfig,
    Stage,
)

__all__ = [
    "KINDS",
    "Interruption",
    "JourneyBreaks",
    "aggregate",
    "count_breaks",
    "find_breaks",
]

KINDS = INTERRUPTION_KINDS
# Up to this many accounts in scope, the hand-off query is narrowed to them in SQL.
FEW_ACCOUNTS = 500


class Interruption(NamedTuple):  # a tuple: thousands are built at once
    kind: str
    account_id: str
    at: datetime
    function: str | None
    stage: str | None
    ref: str  # what it is about: a touchpoint, case, assignment id, or the stage entered
    case_id: str | None
    template: str  # the evidence, formatted when read
    args: tuple[object, ...]
    open: bool  # still going on at as_of

    @property
    def evidence(self) -> str:
        return self.template.format(*self.args)


@dataclass(frozen=True)
class JourneyBreaks:
    """The interruptions found, the states they were read against, and the first-contact
    resolution of the cases closed in the window."""

    as_of: datetime
    since: datetime
    items: list[Interruption]
    states: dict[str, JourneyState]
    cases_closed: int
    first_contact: int

    @property
    def fcr(self) -> float | None:
        return self.first_contact / self.cases_closed if self.cases_closed else None


def _stay_lengths(
    states: dict[str, JourneyState], segment: dict[str, str | None]
) -> dict[tuple[str, str | None], list[float]]:
    """Days of each completed stay in a stage, by (stage, segment) and (stage, None)."""
    out: dict[tuple[str, str | None], list[float]] = {}
    for a, st in states.items():
        h = st.history
        for e, nxt in pairwise(h):
            if e.stage == LEFT or nxt.stage == e.stage:
                continue
            days = (nxt.at - e.at).total_seconds() / 86400
            out.setdefault((e.stage, segment.get(a)), []).append(days)
            out.setdefault((e.stage, None), []).append(days)
    return out


def _stalls(
    states: dict[str, JourneyState],
    scope: Sequence[str],
    segment: dict[str, str | None],
    stages: list[Stage],
    settings: InterruptionSettings,
    since: datetime,
) -> list[Interruption]:
    lengths = _stay_lengths(states, segment)
    last = stages[-1].name if stages else None
    owner = {s.name: s.owner for s in stages}
    out = []
    for a in scope:
        st = states[a]
        stage, days = st.stage, st.days_in_stage
        if stage is None or stage in (LEFT, last) or days is None or st.since is None:
            continue
        peers = lengths.get((stage, segment.get(a)), [])
        who = "accounts of its segment"
        if len(peers) < settings.stall_min_accounts:
            peers, who = lengths.get((stage, None), []), "accounts"
        if len(peers) < settings.stall_min_accounts:
            continue
        limit = float(np.percentile(peers, settings.stall_percentile))
        if days <= limit:
            continue
        at = st.since + timedelta(days=limit)
        if at < since:
            continue
        out.append(Interruption(
            "stall", a, at, owner.get(stage), stage, f"{stage}@{st.since:%Y-%m-%d}", None,
            "in {0} for {1:.0f} days since {2:%Y-%m-%d}; p{3:g} of {4} {5}' stays: {6:.0f} days",
            (stage, days, st.since, settings.stall_percentile, len(peers), who, limit),
            True,
        ))  # fmt: skip
    return out


def _handoffs(
    con: duckdb.DuckDBPyConnection,
    journey: JourneyConfig,
    as_of: datetime,
    since: datetime,
    csm: str | None,
    scope: set[str],
) -> list[Found]:
    """Broken hand-offs in scope, dated when their limit ran out."""
    out = []
    few = sorted(scope) if len(scope) <= FEW_ACCOUNTS else None
    for b in broken_handoffs(con, journey.handoffs, as_of, csm, accounts=few):
        due = b.handed_at + timedelta(hours=b.limit_hours)
        if b.account_id not in scope or due < since:
            continue
        still = b.taken_at is None or b.taken_at >= as_of
        out.append(Found("broken_handoff", b.account_id, due, b.to_function, b.handoff_id,
                         b.case_id, "{0}", (b.evidence,), still))  # fmt: skip
    return out


def _scope(
    con: duckdb.DuckDBPyConnection,
    as_of: datetime,
    accounts: Sequence[str] | None,
    csm: str | None,
) -> tuple[list[str], dict[str, str | None]]:
    """The accounts in scope that existed before ``as_of``, and every account's segment."""
    rows = con.execute(
        "SELECT account_id, segment, csm_id FROM accounts WHERE created_at < ?", [as_of]
    ).fetchall()
    wanted = set(accounts) if accounts is not None else None
    scope = [a for a, _, c in rows
             if (wanted is None or a in wanted) and (csm is None or c == csm)]  # fmt: skip
    return scope, {a: seg for a, seg, _ in rows}


def count_breaks(
    con: duckdb.DuckDBPyConnection,
    journey: JourneyConfig,
    as_of: datetime,
    *,
    days: int,
    recent_days: int,
    accounts: Sequence[str] | None = None,
) -> tuple[dict[str, JourneyState], dict[str, tuple[int, int]]]:
    """What :func:`find_breaks` finds, counted per account without building each one (the
    health inputs): the states in scope, and per account (interruptions dated in the last
    ``recent_days``, those still open)."""
    since = as_of - timedelta(days=days)
    recent = as_of - timedelta(days=recent_days)
    settings = journey.interruptions
    everyone = journey_states(con, journey.map(), as_of)
    scope, segment = _scope(con, as_of, accounts, None)
    cur = con.cursor()
    try:
        cur.register("_oi_scope", pa.table({"account_id": pa.array(scope, pa.string())}))
        counts = case_break_counts(cur, settings, since, as_of, recent)
    finally:
        cur.close()
    extra = _handoffs(con, journey, as_of, since, None, set(scope))
    stalls = _stalls(everyone, scope, segment, journey.map(), settings, since)
    for account_id, at, still in [(f.account_id, f.at, f.open) for f in extra] + [
        (i.account_id, i.at, i.open) for i in stalls
    ]:
        r, o = counts.get(account_id, (0, 0))
        counts[account_id] = (r + (at >= recent), o + still)
    return {a: everyone[a] for a in scope}, counts


def find_breaks(
    con: duckdb.DuckDBPyConnection,
    journey: JourneyConfig,
    as_of: datetime,
    *,
    days: int = 90,
    accounts: Sequence[str] | None = None,
    csm: str | None = None,
    kinds: Sequence[str] | None = None,
) -> JourneyBreaks:
    """The interruptions dated in the ``days`` before ``as_of`` of the accounts in scope
    (``accounts``; ``csm``: that CSM's book), oldest first; ``kinds`` keeps those kinds."""
    since = as_of - timedelta(days=days)
    stages = journey.map()
    settings = journey.interruptions
    everyone = journey_states(con, stages, as_of)  # stalls compare with every account
    scope, segment = _scope(con, as_of, accounts, csm)
    scope_set = set(scope)
    found: list[Found] = []
    cur = con.cursor()
    try:
        cur.register("_oi_scope", pa.table({"account_id": pa.array(scope, pa.string())}))
        found = case_breaks(cur, settings, since, as_of)
        closed, first = first_contact_resolution(cur, settings, since, as_of)
    finally:
        cur.close()
    found += _handoffs(con, journey, as_of, since, csm, scope_set)
    times = {a: [e.at for e in st.history] for a, st in everyone.items() if st.history}

    def stage(account_id: str, at: datetime) -> str | None:
        ts = times.get(account_id)
        i = bisect_right(ts, at) if ts else 0
        return everyone[account_id].history[i - 1].stage if i else None

    items = [
        Interruption(f.kind, f.account_id, f.at, f.function, stage(f.account_id, f.at),
                     f.ref, f.case_id, f.template, f.args, f.open)
        for f in found
    ]  # fmt: skip
    items += _stalls(everyone, scope, segment, stages, settings, since)
    if kinds is not None:
        items = [i for i in items if i.kind in set(kinds)]
    items.sort(key=attrgetter("at", "kind", "ref"))
    states = {a: everyone[a] for a in scope}
    return JourneyBreaks(as_of, since, items, states, closed, first)


def aggregate(items: Sequence[Interruption]) -> list[dict[str, object]]:
    """Counts by function and stage, each kind separately and in total, most first."""
    cells: dict[tuple[str, str], Counter[str]] = {}
    accounts: dict[tuple[str, str], set[str]] = {}
    for i in items:
        key = (i.function or "none", i.stage or "none")
        cells.setdefault(key, Counter())[i.kind] += 1
        accounts.setdefault(key, set()).add(i.account_id)
    out: list[dict[str, object]] = [
        {"function": f, "stage": s, "total": sum(c.values()), "accounts": len(accounts[(f, s)]),
         "kinds": {k: c[k] for k in KINDS if c[k]}}
        for (f, s), c in cells.items()
    ]  # fmt: skip
    out.sort(key=lambda r: (-int(r["total"]), str(r["function"]), str(r["stage"])))  # type: ignore[call-overload]
    return out
