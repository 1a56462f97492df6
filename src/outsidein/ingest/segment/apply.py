"""The applier: moves accepted messages from the inbox into the canonical tables.

As the pipeline step ``segment_apply``, at most every ``apply_interval`` seconds after new
commits (sooner when the backlog grows), one transaction takes the inbox rows committed so
far, applies them set-based (aliases, anonymous ids, groups and their accounts, user links,
traits and contacts, events) and deletes them from the inbox. A crash at any point leaves
the inbox rows in place, and the next cycle applies them: together with the dedupe of
:mod:`outsidein.ingest.segment.events`, each message has its effect exactly once. The writer
keeps appending while a cycle runs; DuckDB's MVCC keeps the two apart (the cycle only sees
and deletes rows committed before it began).
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

import duckdb

from outsidein.ingest.segment import entities, events, identity, traits
from outsidein.ingest.segment.events import EventCounts
from outsidein.ingest.segment.keys import master_data_sources
from outsidein.ingest.segment.writer import Backlog
from outsidein.ingest.validate import DateBounds
from outsidein.pipeline import Outcome, Step, StepContext
from outsidein.precedence import PrecedenceConfig
from outsidein.settings.store import EARLIEST_DATE

log = logging.getLogger(__name__)

__all__ = [
    "APPLIED",
    "INBOX",
    "STEP",
    "Applier",
    "ApplyRules",
    "CycleResult",
    "apply_cycle",
    "prepare",
]

STEP = "segment_apply"
INBOX = "segment_inbox"  # the signal the writer sends after each commit
APPLIED = ("events", "accounts", "contacts")  # what the metrics and pages read from a cycle
PROMISE_SECONDS = 60.0  # accepted events reach `events` within this (docs/segment.md)


@dataclass(frozen=True)
class CycleResult:
    """What one apply cycle did."""

    messages: int
    events: EventCounts
    merged_aliases: int
    seconds: float
    rejected_traits: int = 0


@dataclass(frozen=True)
class ApplyRules:
    """What the applier takes from ``outsidein.toml``: source precedence, the date bounds."""

    precedence: PrecedenceConfig = field(default_factory=PrecedenceConfig)
    future_tolerance: timedelta = timedelta(hours=24)
    earliest: date = EARLIEST_DATE


def prepare(cur: duckdb.DuckDBPyConnection) -> int:
    """Once per server start: count ids of events loaded from files as seen."""
    cur.execute("BEGIN TRANSACTION")
    try:
        added = events.seed_seen(cur)
        cur.execute("COMMIT")
    except BaseException:
        cur.execute("ROLLBACK")
        raise
    return added


def apply_cycle(
    cur: duckdb.DuckDBPyConnection,
    *,
    max_messages: int,
    recheck_all_pending: bool = False,
    rules: ApplyRules | None = None,
) -> CycleResult:
    """Apply up to ``max_messages`` inbox rows (oldest first) in one transaction."""
    rules = rules or ApplyRules()
    started = time.perf_counter()
    cur.execute("BEGIN TRANSACTION")
    try:
        taken = _take(cur, max_messages)
        if not taken and not recheck_all_pending:
            cur.execute("COMMIT")
            return CycleResult(0, EventCounts(), 0, time.perf_counter() - started)
        cur.execute("SET VARIABLE seg_now = now()::TIMESTAMP")
        cutoff = datetime.now(UTC).replace(tzinfo=None) + rules.future_tolerance
        cur.execute("SET VARIABLE seg_cutoff = ?::TIMESTAMP", [cutoff])
        cur.execute("CREATE OR REPLACE TEMP TABLE _seg_dirty (uid VARCHAR)")
        merged = identity.merge_aliases(cur)
        identity.map_anonymous_ids(cur)
        identity.canonicalize(cur)
        groups, identifies = cur.execute(
            "SELECT count(*) FILTER (WHERE type = 'group'), "
            "count(*) FILTER (WHERE type = 'identify') FROM _seg_m"
        ).fetchall()[0]
        rejected_traits = traits.check_traits(
            cur, DateBounds(cutoff, rules.earliest), groups=groups, identifies=identifies
        )
        entities.resolve_groups(
            cur,
            "SELECT group_id AS gid FROM _seg_m WHERE type = 'group' "
            "UNION ALL SELECT context_group_id FROM _seg_m",
            "_seg_gid",
        )
        entities.create_group_accounts(cur)
        # Traits and the rows they fill only when the cycle has calls that carry them: a
        # cycle of track calls skips these statements (their planning alone costs ms).
        if groups:
            entities.store_traits(
                cur,
                "group",
                "SELECT g.account_id AS entity_id, m.timestamp, m.seq, m.key_id, m.payload "
                "FROM _seg_m m JOIN _seg_gid g ON g.gid = m.group_id WHERE m.type = 'group'",
            )
            entities.refresh_accounts(cur, rules.precedence, master_data_sources(cur))
        identity.link_users(cur)
        if identifies:
            entities.store_traits(
                cur,
                "user",
                "SELECT uid AS entity_id, timestamp, seq, key_id, payload FROM _seg_m "
                "WHERE type = 'identify'",
            )
        if identifies or cur.execute("SELECT count(*) FROM _seg_dirty").fetchall()[0][0]:
            entities.refresh_contacts(cur, rules.precedence, master_data_sources(cur))
        counts = events.place_events(cur, recheck_all_pending)
        events.record_duplicates(cur)
        cur.execute("DELETE FROM segment_inbox WHERE seq <= getvariable('seg_hi')")
        cur.execute("COMMIT")
    except BaseException:
        cur.execute("ROLLBACK")
        raise
    return CycleResult(taken, counts, merged, time.perf_counter() - started, rejected_traits)


def _take(cur: duckdb.DuckDBPyConnection, limit: int) -> int:
    """``_seg_b``: the oldest ``limit`` inbox rows visible to this transaction."""
    lo, hi, n = cur.execute("SELECT min(seq), max(seq), count(*) FROM segment_inbox").fetchall()[0]
    if not n:
        cur.execute("SET VARIABLE seg_hi = -1::BIGINT")
        cur.execute("CREATE OR REPLACE TEMP TABLE _seg_b AS FROM segment_inbox LIMIT 0")
        return 0
    if n > limit:
        hi = cur.execute(
            "SELECT max(seq) FROM (SELECT seq FROM segment_inbox ORDER BY seq LIMIT ?)", [limit]
        ).fetchall()[0][0]
    cur.execute("SET VARIABLE seg_hi = ?::BIGINT", [hi])
    cur.execute(
        "CREATE OR REPLACE TEMP TABLE _seg_b AS SELECT * FROM segment_inbox "
        "WHERE seq BETWEEN ? AND ?",
        [lo, hi],
    )
    return int(cur.execute("SELECT count(*) FROM _seg_b").fetchall()[0][0])


def _n(count: int, word: str) -> str:
    return f"{count:,} {word}{'' if count == 1 else 's'}"


class Applier:
    """The pipeline step ``segment_apply``: runs :func:`apply_cycle` when the inbox grew.

    The writer marks ``segment_inbox`` after each commit; the scheduler runs the step at
    most every ``interval`` seconds (at once when the backlog is full), again without a
    pause while a cycle hits its row cap, and at shutdown until the inbox is empty.
    """

    def __init__(
        self,
        backlog: Backlog,
        *,
        interval: float,
        max_messages: int,
        rules: ApplyRules | None = None,
    ) -> None:
        self._backlog = backlog
        self._rules = rules or ApplyRules()
        self._interval = interval
        self._max = max_messages
        self._recheck_all = True  # pending events may resolve after offline file loads
        self.last: CycleResult | None = None
        self.cycles = 0

    def step(self) -> Step:
        return Step(
            STEP,
            self.run,
            inputs=(INBOX,),
            outputs=APPLIED,
            min_gap=self._interval,
            max_rows=self._max,
            drain=True,
            stale_after=PROMISE_SECONDS,
            description="moves accepted Segment messages into events, accounts and contacts",
        )

    def run(self, ctx: StepContext) -> Outcome:
        """One cycle; nothing lost on failure (the inbox rows stay for the next one)."""
        recheck, limit = self._recheck_all, ctx.max_rows or self._max
        result = apply_cycle(
            ctx.cursor, max_messages=limit, recheck_all_pending=recheck, rules=self._rules
        )
        self._recheck_all = False
        self.cycles += 1
        self.last = result
        self._backlog.applied(result.messages, result.seconds)
        if not result.messages and not recheck:
            return Outcome.nothing()
        log.debug("applied %d messages in %.3f s", result.messages, result.seconds)
        return Outcome.wrote(
            result.messages,
            more=result.messages >= limit,
            detail=f"{_n(result.messages, 'message')}, {_n(result.events.stored, 'event')} stored",
        )
