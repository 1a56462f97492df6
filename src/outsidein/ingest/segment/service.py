"""The ingestion service the server runs: keys, checking, the writer and the applier.

It knows nothing of HTTP. The web routes (``outsidein.web.routes.segment``) turn requests
into calls of :meth:`SegmentService.check` and :meth:`SegmentService.submit`; the
benchmark calls the same two methods directly to measure the write path without HTTP.
"""

from __future__ import annotations

import logging
import threading
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import duckdb

from outsidein.ingest.segment import keys as keyring
from outsidein.ingest.segment.apply import INBOX, Applier, ApplyRules, prepare
from outsidein.ingest.segment.body import (
    MAX_BATCH_BYTES,
    MAX_BATCH_EVENTS,
    MAX_EVENT_BYTES,
    decompress,
    parse_json,
)
from outsidein.ingest.segment.errors import (
    InvalidEventsError,
    InvalidPayloadError,
    PayloadTooLargeError,
    SegmentError,
)
from outsidein.ingest.segment.keys import CreatedKey, KeyRing, WriteKey
from outsidein.ingest.segment.messages import Problem, Row, check_messages
from outsidein.ingest.segment.timestamps import utc_now
from outsidein.ingest.segment.writer import Backlog, Done, GroupCommitWriter, Submission
from outsidein.pipeline import Scheduler
from outsidein.precedence import PrecedenceConfig
from outsidein.settings.segment import SegmentSettings
from outsidein.settings.store import StoreConfig

log = logging.getLogger(__name__)

SHOWN_PROBLEMS = 100  # a response lists at most this many rejected events

__all__ = ["CheckedRequest", "SegmentService", "limit_for"]

Cursors = Callable[[], duckdb.DuckDBPyConnection]


def limit_for(call_type: str | None) -> int:
    """The body limit of an endpoint: 500 KB for a batch, 32 KB for a single call."""
    return MAX_BATCH_BYTES if call_type is None else MAX_EVENT_BYTES


@dataclass
class CheckedRequest:
    """A request after checking: its key, its good rows and its problems."""

    key: WriteKey
    request_id: str
    received_at: datetime
    size: int
    rows: list[Row] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    body_text: str | None = None

    @property
    def accepted(self) -> int:
        return len(self.rows)

    def error(self) -> InvalidEventsError | None:
        """The 400 to answer after the good rows are stored, if anything was rejected."""
        if not self.problems:
            return None
        total = self.accepted + len(self.problems)
        first = self.problems[0].describe()
        if total == 1 and self.problems[0].index is None:
            message = first
        else:
            stored = (
                "none was stored"
                if not self.accepted
                else (f"the other {self.accepted} {'was' if self.accepted == 1 else 'were'} stored")
            )
            message = (
                f"{len(self.problems)} of {total} events rejected; {stored}. First problem: {first}"
            )
        return InvalidEventsError(
            message,
            accepted=self.accepted,
            rejected_count=len(self.problems),
            rejected=[p.as_detail() for p in self.problems[:SHOWN_PROBLEMS]],
        )


class SegmentService:
    """Owns the writer thread over one store and registers the applier as a pipeline step;
    start it once, close it once.

    The server passes its one ``pipeline``; without one (a benchmark, a script) the service
    runs a private scheduler for its applier, closed (and so drained) by :meth:`close`.
    """

    def __init__(
        self,
        cursors: Cursors,
        settings: SegmentSettings | None = None,
        *,
        store: StoreConfig | None = None,
        precedence: PrecedenceConfig | None = None,
        pipeline: Scheduler | None = None,
    ) -> None:
        self.settings = settings or SegmentSettings()
        self.store = store or StoreConfig()
        self.future_tolerance = timedelta(hours=self.store.future_tolerance_hours)
        self.rules = ApplyRules(
            precedence or PrecedenceConfig(), self.future_tolerance, self.store.earliest_date
        )
        self.keys = KeyRing()
        self._cursors = cursors
        self._admin = self._cursor()
        self._admin_lock = threading.Lock()
        self.backlog = Backlog()
        self.writer: GroupCommitWriter | None = None
        self.applier: Applier | None = None
        self._own_pipeline = pipeline is None
        self.pipeline = pipeline if pipeline is not None else Scheduler(cursors)

    def _cursor(self) -> duckdb.DuckDBPyConnection:
        cur = self._cursors()
        cur.execute("SET TimeZone = 'UTC'")
        return cur

    def start(self) -> None:
        """Load keys, seed the dedupe set, start the writer, register the applier."""
        self.keys.load(self._admin)
        seeded = prepare(self._admin)
        if seeded:
            log.info("counted %d file-loaded event ids as seen", seeded)
        inbox = self._admin.execute("SELECT count(*) FROM segment_inbox").fetchall()[0][0]
        self.backlog.add(int(inbox))
        settings = self.settings
        self.applier = Applier(
            self.backlog,
            interval=settings.apply_interval,
            max_messages=settings.max_apply_events,
            rules=self.rules,
        )
        self.writer = GroupCommitWriter(
            self._cursor(),
            settings,
            self.backlog,
            on_commit=self._after_commit,
            on_saturated=lambda: self.pipeline.mark(INBOX, urgent=True),
        )
        self.pipeline.register(self.applier.step())
        if self._own_pipeline:
            self.pipeline.start()
        self.writer.start()

    def _after_commit(self, stored: int) -> None:
        """The inbox grew: the applier runs after its interval (at once when it is full)."""
        self.pipeline.mark(INBOX, urgent=self.backlog.count >= self.settings.max_apply_events)

    def close(self) -> None:
        """Commit what is queued; a private pipeline then applies what is committed.

        The server's pipeline applies it when the server closes it, after this.
        """
        if self.writer is not None:
            self.writer.close()
        if self._own_pipeline:
            self.pipeline.close()

    # -- requests -------------------------------------------------------------------------

    def authenticate(self, secret: str | None) -> WriteKey:
        return self.keys.authenticate(secret)

    def check(
        self,
        call_type: str | None,
        raw: bytes,
        content_encoding: str | None,
        *,
        key: WriteKey | None,
        received_at: datetime | None = None,
    ) -> CheckedRequest:
        """Decode, parse and check a request body.

        ``key`` is the key from the Authorization header, or None to take ``writeKey`` from
        the body. Raises a :class:`SegmentError` for a request refused as a whole; with a
        known key such errors carry ``refused``: the request as a reject, to :meth:`submit`
        so that it is recorded before the error is answered.
        """
        received_at = received_at or utc_now()
        request_id = uuid.uuid4().hex
        what = "the batch" if call_type is None else f"a {call_type} call"
        try:
            data = decompress(raw, content_encoding, limit_for(call_type), what)
            body = parse_json(data)
        except SegmentError as exc:
            if key is not None:
                exc.refused = self.refusal(key, received_at, raw, exc, request_id)
            raise
        if not isinstance(body, dict):
            error = InvalidPayloadError("the body must be a JSON object", field="body")
            if key is not None:
                error.refused = self.refusal(key, received_at, raw, error, request_id)
            raise error
        if key is None:
            secret = body.get("writeKey")
            key = self.keys.authenticate(secret if isinstance(secret, str) else None)
        checked = CheckedRequest(key, request_id, received_at, len(data))
        try:
            messages, indexed = _messages(call_type, body)
        except SegmentError as exc:
            exc.refused = self.refusal(key, received_at, data, exc, request_id)
            raise
        result = check_messages(
            messages,
            call_type=call_type,
            sent_at=body.get("sentAt") if call_type is None else None,
            received_at=received_at,
            future_tolerance=self.future_tolerance,
            earliest_event=self.store.earliest_event,
            batch_context=body.get("context") if call_type is None else None,
            indexed=indexed,
            check_sizes=len(data) > MAX_EVENT_BYTES,
        )
        checked.rows = result.rows
        checked.problems = result.problems
        return checked

    def refusal(
        self,
        key: WriteKey,
        received_at: datetime,
        raw: bytes,
        error: SegmentError,
        request_id: str | None = None,
    ) -> CheckedRequest:
        """A request refused as a whole, as one reject to record (raw body kept, 64 KB)."""
        request_id = request_id or uuid.uuid4().hex
        field_name = error.details.get("field")
        problem = Problem(
            None, field_name if isinstance(field_name, str) else "body", error.message
        )
        checked = CheckedRequest(key, request_id, received_at, len(raw), problems=[problem])
        checked.body_text = raw[: 64 * 1024].decode("utf-8", errors="replace")
        return checked

    def submit(self, checked: CheckedRequest, done: Done) -> None:
        """Queue the checked request for the next group commit; ``done`` runs after it."""
        if self.writer is None:
            raise RuntimeError("SegmentService.start() was not called")
        self.writer.submit(
            Submission(
                checked.key.key_id,
                checked.request_id,
                checked.received_at,
                checked.rows,
                checked.problems,
                checked.size,
                done,
                checked.body_text,
            )
        )

    # -- keys (the server owns the store, so the CLI manages keys through it) -------------

    def create_key(
        self, name: str, scopes: Sequence[str] = (), *, actor: str | None = "api"
    ) -> CreatedKey:
        with self._admin_lock:
            created = keyring.create_key(self._admin, name, scopes, actor=actor)
            self.keys.load(self._admin)
        return created

    def revoke_key(self, key_id: str, *, actor: str | None = "api") -> WriteKey:
        with self._admin_lock:
            key = keyring.revoke_key(self._admin, key_id, actor=actor)
            self.keys.load(self._admin)
        return key

    def list_keys(self) -> list[WriteKey]:
        with self._admin_lock:
            return keyring.list_keys(self._admin)


def _messages(call_type: str | None, body: dict[str, Any]) -> tuple[list[Any], bool]:
    """The messages of a body: the ``batch`` list, or the body itself for a single call."""
    if call_type is not None:
        return [body], False
    batch = body.get("batch")
    if not isinstance(batch, list):
        raise InvalidPayloadError("the body must have `batch`: a list of events", field="batch")
    if len(batch) > MAX_BATCH_EVENTS:
        raise PayloadTooLargeError(
            f"the batch has {len(batch):,} events; the limit is {MAX_BATCH_EVENTS:,}",
            field="batch",
        )
    if not batch:
        raise InvalidPayloadError("`batch` is empty; send at least one event", field="batch")
    return batch, True
