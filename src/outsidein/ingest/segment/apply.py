"""The applier: moves accepted messages from the inbox into the canonical tables.

Every ``apply_interval`` seconds (sooner when the backlog grows) one transaction takes the
inbox rows committed so far, applies them set-based (aliases, anonymous ids, groups and
their accounts, user links, traits and contacts, events) and deletes them from the inbox.
A crash at any point leaves the inbox rows in place, and the next cycle applies them:
together with the dedupe of :mod:`outsidein.ingest.segment.events`, each message has its
effect exactly once. The writer keeps appending while a cycle runs; DuckDB's MVCC keeps the
two apart (the cycle only sees and deletes rows committed before it began).
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import duckdb

from outsidein.ingest.segment import entities, events, identity, traits
from outsidein.ingest.segment.events import EventCounts
from outsidein.ingest.segment.writer import Backlog
from outsidein.precedence import PrecedenceConfig

log = logging.getLogger(__name__)

__all__ = ["Applier", "ApplyRules", "CycleResult", "apply_cycle", "prepare"]


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
    """What the applier takes from ``outsidein.toml``: source precedence, the future cutoff."""

    precedence: PrecedenceConfig = field(default_factory=PrecedenceConfig)
    future_tolerance: timedelta = timedelta(hours=24)


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
        rejected_traits = traits.check_traits(cur, cutoff, groups=groups, identifies=identifies)
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
            entities.refresh_accounts(cur, rules.precedence)
        identity.link_users(cur)
        if identifies:
            entities.store_traits(
                cur,
                "user",
                "SELECT uid AS entity_id, timestamp, seq, key_id, payload FROM _seg_m "
                "WHERE type = 'identify'",
            )
        if identifies or cur.execute("SELECT count(*) FROM _seg_dirty").fetchall()[0][0]:
            entities.refresh_contacts(cur, rules.precedence)
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


class Applier:
    """The thread that runs :func:`apply_cycle` until stopped, then drains the inbox."""

    def __init__(
        self,
        cursor: duckdb.DuckDBPyConnection,
        backlog: Backlog,
        *,
        interval: float,
        max_messages: int,
        rules: ApplyRules | None = None,
    ) -> None:
        self._cur = cursor
        self._backlog = backlog
        self._interval = interval
        self._max = max_messages
        self._rules = rules or ApplyRules()
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="segment-applier", daemon=True)
        self.last: CycleResult | None = None
        self.last_error: str | None = None
        self.cycles = 0

    def start(self) -> None:
        self._thread.start()

    def wake(self) -> None:
        """Run the next cycle now (the writer calls this when the backlog grows)."""
        self._wake.set()

    def close(self, timeout: float = 120.0) -> None:
        """Stop after applying what the inbox holds."""
        self._stop.set()
        self._wake.set()
        if self._thread.is_alive():
            self._thread.join(timeout)

    def _cycle(self, recheck_all: bool) -> CycleResult | None:
        try:
            result = apply_cycle(
                self._cur,
                max_messages=self._max,
                recheck_all_pending=recheck_all,
                rules=self._rules,
            )
        except Exception as exc:
            # Nothing is lost: the inbox rows stay and the next cycle tries again.
            log.exception("apply cycle failed; the inbox keeps the messages")
            self.last_error = str(exc)
            return None
        self.last_error = None
        self.cycles += 1
        self.last = result
        self._backlog.applied(result.messages, result.seconds)
        if result.messages:
            log.debug("applied %d messages in %.3f s", result.messages, result.seconds)
        return result

    def _run(self) -> None:
        self._cycle(recheck_all=True)  # pending events may resolve after offline file loads
        while not self._stop.is_set():
            self._wake.wait(self._interval)
            self._wake.clear()
            result = self._cycle(recheck_all=False)
            while result is not None and result.messages >= self._max:
                result = self._cycle(recheck_all=False)  # behind: no pause between cycles
        while (result := self._cycle(recheck_all=False)) is not None and result.messages:
            pass
