"""Group commit: many requests' messages made durable by one DuckDB transaction.

Request handlers parse and check their messages, then hand them here and wait. One writer
thread takes everything queued since its last commit, appends it to ``segment_inbox`` with
the rejects and the activity counters in one transaction, and only after COMMIT (DuckDB
syncs its write-ahead log then) releases the waiting requests. While it commits, new
requests queue up, so the busier the server, the more each fsync carries: a transaction
per commit, never per event or per request.

A message is acknowledged only after the commit that holds it; a failed commit fails every
request in it (503, which clients retry), so nothing is acknowledged that is not stored.
"""

from __future__ import annotations

import logging
import math
import threading
from collections import defaultdict, deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import duckdb
import numpy as np
import pyarrow as pa
import pydantic_core

from outsidein.ingest.segment.errors import IngestUnavailableError, SaturatedError
from outsidein.ingest.segment.messages import Problem, Row
from outsidein.ingest.segment.timestamps import to_micros
from outsidein.settings.segment import SegmentSettings

log = logging.getLogger(__name__)

MAX_REJECT_PAYLOAD = 64 * 1024
Done = Callable[[BaseException | None], None]

_ROW_COLUMNS = (
    "type",
    "message_id",
    "user_id",
    "anonymous_id",
    "previous_id",
    "group_id",
    "context_group_id",
    "event",
    "timestamp",
    "payload",
)
_INBOX_COLUMNS = ("seq", "key_id", "request_id", *_ROW_COLUMNS, "received_at")
_INBOX_SCHEMA = pa.schema(
    [
        ("seq", pa.int64()),
        ("key_id", pa.string()),
        ("request_id", pa.string()),
        *((name, pa.string()) for name in _ROW_COLUMNS[:-2]),
        ("timestamp", pa.timestamp("us")),
        ("payload", pa.string()),
        ("received_at", pa.timestamp("us")),
    ]
)

_ACTIVITY_UPDATE = (
    "UPDATE segment_activity SET requests = requests + ?, accepted = accepted + ?, "
    "rejected = rejected + ?, bytes = bytes + ?, last_seen = greatest(last_seen, ?) "
    "WHERE key_id = ? AND minute = ?"
)
_ACTIVITY_INSERT = "INSERT INTO segment_activity VALUES (?, ?, ?, ?, ?, 0, ?, ?)"

__all__ = ["Backlog", "GroupCommitWriter", "Submission"]


@dataclass
class Submission:
    """One request's outcome: the good rows to store, the problems to record."""

    key_id: str
    request_id: str
    received_at: datetime
    rows: list[Row]
    problems: list[Problem]
    size: int
    done: Done
    body_text: str | None = None  # kept for a request rejected as a whole (invalid JSON)
    events: int = field(init=False)

    def __post_init__(self) -> None:
        self.events = max(len(self.rows), 1)


class Backlog:
    """Messages committed to the inbox but not yet applied, shared by writer and applier."""

    def __init__(self, start: int = 0) -> None:
        self._count = start
        self._lock = threading.Lock()
        self.apply_rate = 0.0  # rows per second of the last apply cycle

    @property
    def count(self) -> int:
        return self._count

    def add(self, n: int) -> None:
        with self._lock:
            self._count += n

    def applied(self, n: int, seconds: float) -> None:
        with self._lock:
            self._count = max(0, self._count - n)
            if n and seconds > 0:
                self.apply_rate = n / seconds


class GroupCommitWriter:
    """The one thread that appends accepted messages to ``segment_inbox``."""

    def __init__(
        self,
        cursor: duckdb.DuckDBPyConnection,
        settings: SegmentSettings,
        backlog: Backlog,
        on_commit: Callable[[int], None] | None = None,
        on_saturated: Callable[[], None] | None = None,
    ) -> None:
        self._cur = cursor
        self._settings = settings
        self._backlog = backlog
        self._on_commit = on_commit
        self._on_saturated = on_saturated
        self._cond = threading.Condition()
        self._queue: deque[Submission] = deque()
        self._queued_events = 0
        self._closing = False
        row = cursor.execute(
            "SELECT greatest((SELECT coalesce(max(seq), 0) FROM segment_inbox), "
            "(SELECT coalesce(max(seq), 0) FROM segment_pending))"
        ).fetchall()[0]
        self._next_seq = int(row[0]) + 1
        self._thread = threading.Thread(target=self._run, name="segment-writer", daemon=True)
        self.commits = 0

    def start(self) -> None:
        self._thread.start()

    def submit(self, submission: Submission) -> None:
        """Queue ``submission``; its ``done`` is called after the commit that holds it.

        Raises :class:`SaturatedError` instead of queueing when the server is behind.
        """
        settings = self._settings
        with self._cond:
            if self._closing:
                raise IngestUnavailableError("the server is stopping; retry shortly")
            if self._queued_events and self._queued_events + submission.events > (
                settings.max_queued_events
            ):
                raise SaturatedError(
                    f"{self._queued_events:,} events are waiting to be committed; retry in 1 s",
                    retry_after=1,
                )
            backlog = self._backlog.count
            if submission.rows and backlog > settings.max_backlog:
                if self._on_saturated is not None:
                    self._on_saturated()  # apply now rather than at the next interval
                rate = self._backlog.apply_rate
                excess = backlog - settings.max_backlog
                wait = min(60, max(1, math.ceil(excess / rate))) if rate else 1
                raise SaturatedError(
                    f"{backlog:,} accepted events are waiting to be applied; retry in {wait} s",
                    retry_after=wait,
                )
            self._queue.append(submission)
            self._queued_events += submission.events
            self._cond.notify()

    def close(self, timeout: float = 60.0) -> None:
        """Refuse new submissions, commit what is queued, stop the thread."""
        with self._cond:
            self._closing = True
            self._cond.notify()
        if self._thread.is_alive():
            self._thread.join(timeout)

    def _take(self) -> list[Submission] | None:
        limit = self._settings.max_commit_events
        with self._cond:
            while not self._queue and not self._closing:
                self._cond.wait()
            if not self._queue:
                return None
            taken: list[Submission] = []
            events = 0
            while self._queue and (not taken or events + self._queue[0].events <= limit):
                sub = self._queue.popleft()
                taken.append(sub)
                events += sub.events
            return taken

    def _run(self) -> None:
        while (taken := self._take()) is not None:
            error: BaseException | None = None
            try:
                stored = self._commit(taken)
                self._backlog.add(stored)
                if self._on_commit is not None:
                    self._on_commit(stored)
            except Exception as exc:
                log.exception("group commit of %d requests failed", len(taken))
                error = IngestUnavailableError(f"the store could not commit ({exc}); retry")
            with self._cond:
                self._queued_events -= sum(sub.events for sub in taken)
            for sub in taken:
                sub.done(error)

    def _commit(self, subs: list[Submission]) -> int:
        """Write ``subs`` in one transaction; return how many inbox rows it added."""
        cur = self._cur
        inbox = self._inbox_table(subs)
        rejects = _rejects_table(subs)
        activity = _activity_rows(subs)
        cur.execute("BEGIN TRANSACTION")
        try:
            if inbox is not None:
                cur.register("_oi_seg_inbox", inbox)
                cur.execute(
                    f"INSERT INTO segment_inbox ({', '.join(_quoted(_INBOX_COLUMNS))}) "
                    "SELECT * FROM _oi_seg_inbox"
                )
            if rejects is not None:
                cur.register("_oi_seg_rejects", rejects)
                cur.execute(
                    "INSERT INTO rejects SELECT load_id, kind, file, line, col, val, reason, "
                    "rejected_at FROM _oi_seg_rejects"
                )
                cur.execute(
                    "INSERT INTO segment_reject_payloads SELECT load_id, line, payload "
                    "FROM _oi_seg_rejects"
                )
            for values in activity:
                # One row per key and minute: UPDATE by its primary key, INSERT the first
                # time. (INSERT ... ON CONFLICT costs several times more per commit.)
                updated = cur.execute(_ACTIVITY_UPDATE, [*values[2:], *values[:2]]).fetchall()
                if not updated or not updated[0][0]:
                    cur.execute(_ACTIVITY_INSERT, values)
            cur.execute("COMMIT")
        except BaseException:
            cur.execute("ROLLBACK")
            raise
        finally:
            for name in ("_oi_seg_inbox", "_oi_seg_rejects"):
                cur.unregister(name)
        self.commits += 1
        stored = 0 if inbox is None else inbox.num_rows
        self._next_seq += stored
        return stored

    def _inbox_table(self, subs: list[Submission]) -> pa.Table | None:
        """The rows of ``subs`` as one Arrow table, numbered from the next ``seq``.

        Per-request values (key, request id, arrival time) are repeated by NumPy, and times
        travel as integers: the GIL-bound conversion stays around a microsecond per row.
        """
        with_rows = [sub for sub in subs if sub.rows]
        if not with_rows:
            return None
        rows = [row for sub in with_rows for row in sub.rows]
        counts = np.array([len(sub.rows) for sub in with_rows])
        n = len(rows)
        columns = list(zip(*rows, strict=True))
        # NumPy converts large Python ints ~100x faster than pa.array does.
        timestamp = pa.array(np.fromiter(columns[8], np.int64, n)).cast(pa.timestamp("us"))
        received = np.repeat(np.array([to_micros(s.received_at) for s in with_rows]), counts)
        arrays = [
            pa.array(np.arange(self._next_seq, self._next_seq + n, dtype=np.int64)),
            _repeated([sub.key_id for sub in with_rows], counts),
            _repeated([sub.request_id for sub in with_rows], counts),
            *(pa.array(col, pa.string()) for col in columns[:8]),
            timestamp,
            pa.array(columns[9], pa.string()),
            pa.array(received).cast(pa.timestamp("us")),
        ]
        return pa.Table.from_arrays(arrays, schema=_INBOX_SCHEMA)


def _repeated(values: list[str], counts: np.ndarray[Any, Any]) -> pa.Array:
    """``values[i]`` repeated ``counts[i]`` times, as a plain string column."""
    return pa.array(np.repeat(np.array(values, dtype=object), counts), pa.string())


def _quoted(names: tuple[str, ...]) -> list[str]:
    return [f'"{name}"' for name in names]


def _payload_text(problem: Problem) -> str:
    text = pydantic_core.to_json(problem.message, fallback=str).decode()
    return text[:MAX_REJECT_PAYLOAD]


def _rejects_table(subs: list[Submission]) -> pa.Table | None:
    """One ``rejects`` row per problem, attributed to the key as ``segment:KEY_ID``."""
    columns: dict[str, list[Any]] = defaultdict(list)
    for sub in subs:
        for problem in sub.problems:
            columns["load_id"].append(sub.request_id)
            columns["kind"].append(f"segment.{problem.type}" if problem.type else "segment")
            columns["file"].append(f"segment:{sub.key_id}")
            columns["line"].append(problem.index)
            columns["col"].append(problem.field)
            columns["val"].append(problem.value)
            columns["reason"].append(problem.reason)
            columns["rejected_at"].append(sub.received_at)
            payload = sub.body_text if problem.message is None else _payload_text(problem)
            columns["payload"].append((payload or "")[:MAX_REJECT_PAYLOAD])
    if not columns:
        return None
    types = {"line": pa.int64(), "rejected_at": pa.timestamp("us")}
    return pa.table(
        {name: pa.array(values, types.get(name, pa.string())) for name, values in columns.items()}
    )


def _activity_rows(subs: list[Submission]) -> list[tuple[Any, ...]]:
    """Counters per key and minute, summed over the requests of this commit.

    Each is ``(key_id, minute, requests, accepted, rejected, bytes, last_seen)``.
    """
    totals: dict[tuple[str, datetime], list[Any]] = {}
    for sub in subs:
        minute = sub.received_at.replace(second=0, microsecond=0)
        entry = totals.setdefault((sub.key_id, minute), [0, 0, 0, 0, sub.received_at])
        entry[0] += 1
        entry[1] += len(sub.rows)
        entry[2] += len(sub.problems)
        entry[3] += sub.size
        entry[4] = max(entry[4], sub.received_at)
    return [(*key, *values) for key, values in totals.items()]
