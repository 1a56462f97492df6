"""Evaluate the playbooks over the accounts in scope, decide the firings, take the actions.

One run (:func:`run_playbooks`), in one transaction:

1. the facts of the accounts in scope, gathered once (:mod:`.facts`);
2. each enabled playbook's trigger (:mod:`.triggers`) gives hits ``(account, reason)``, kept
   where its ``where`` filter holds;
3. a hit is dropped when a task for the same account, playbook and reason is still open
   (deduplication), when the playbook fired for the account within ``cooldown_days``
   (cool-down), when the same reason fired within a day (or ever, for kinds whose reason names
   one event: an answer, a renewal date, a schedule period);
4. each firing is recorded in ``playbook_firings`` with the playbook's version and variant;
   a ``holdout`` share of accounts (a stable hash of playbook and account) is recorded as
   held out and nothing is done for it;
5. the variant's actions: open a task (owner, due, priority, steps), set a custom field,
   ask the outbox for a touch (a row of ``touch_requests`` with its idempotency key).
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from outsidein.config import OutsideInConfig
from outsidein.expr import fields, parse
from outsidein.playbooks.errors import PlaybookError
from outsidein.playbooks.facts import CUSTOM, Facts, gather
from outsidein.playbooks.triggers import HITS_SCHEMA, REGISTRY, TriggerContext, condition_mask
from outsidein.playbooks.versions import sync_versions
from outsidein.settings.playbooks import (
    Action,
    AddToSegmentAction,
    Playbook,
    PlaybooksConfig,
    SetFieldAction,
    TaskAction,
    TouchAction,
)
from outsidein.store.config_versions import current_config_version
from outsidein.tasks.service import insert_tasks, new_task_row
from outsidein.tasks.teams import RoundRobin

log = logging.getLogger("outsidein.playbooks")

__all__ = ["RunResult", "custom_fields_read", "held_out", "run_playbooks"]

SAME_REASON_DAYS = 1  # a reason that holds on does not fire again within a day
TOUCH_SCHEMA = pa.schema(
    [("request_id", pa.string()), ("account_id", pa.string()), ("playbook", pa.string()),
     ("playbook_version", pa.int32()), ("firing_id", pa.string()), ("channel", pa.string()),
     ("template", pa.string()), ("recipient", pa.string()), ("context", pa.string()),
     ("idempotency_key", pa.string()), ("created_at", pa.timestamp("us"))]
)  # fmt: skip
FIRING_SCHEMA = pa.schema(
    [("firing_id", pa.string()), ("account_id", pa.string()), ("playbook", pa.string()),
     ("playbook_version", pa.int32()), ("variant", pa.string()), ("reason", pa.string()),
     ("context", pa.string()), ("held_out", pa.bool_()), ("actions", pa.int32()),
     ("fired_at", pa.timestamp("us"))]
)  # fmt: skip


@dataclass
class RunResult:
    """What one run did."""

    accounts: int = 0
    playbooks: int = 0
    hits: int = 0
    firings: int = 0
    held_out: int = 0
    tasks: int = 0
    fields: int = 0
    touches: int = 0
    seconds: float = 0.0
    by_playbook: dict[str, int] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)  # playbooks left out, and why


def held_out(playbook: str, account_id: str, share: float) -> bool:
    """Whether the account is in the playbook's holdout: a stable draw, uniform in [0, 1)."""
    if share <= 0:
        return False
    digest = hashlib.sha256(f"{playbook}\x00{account_id}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64 < share


def custom_fields_read(config: PlaybooksConfig) -> list[str]:
    """The custom fields (without ``custom.``) any condition or filter reads."""
    names: set[str] = set()
    for book in config.playbooks:
        texts = [book.where, getattr(book.trigger, "expression", None)]
        for text in texts:
            if text:
                names |= {n[len(CUSTOM) :] for n in fields(parse(text)) if n.startswith(CUSTOM)}
    return sorted(names)


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def run_playbooks(
    con: duckdb.DuckDBPyConnection,
    config: OutsideInConfig,
    *,
    now: datetime | None = None,
    accounts: Sequence[str] | None = None,
    only: str | None = None,
    origin: str | None = None,
    check: Callable[[], None] = lambda: None,
    transaction: bool = True,
) -> RunResult:
    """Evaluate the enabled playbooks (or ``only`` one) for ``accounts`` (None: every one)."""
    started = time.perf_counter()
    now = now or _now()
    result = RunResult()
    pb = config.playbooks
    if transaction:
        con.execute("BEGIN TRANSACTION")
    try:
        versions = sync_versions(con, pb, current_config_version(con), origin)
        books = [b for b in pb.playbooks if b.enabled and (only is None or b.name == only)]
        result.playbooks = len(books)
        if books and (accounts is None or accounts):
            check()
            facts = gather(con, now, accounts=accounts, custom=custom_fields_read(pb),
                           config=config.analytics, journey=config.journey)  # fmt: skip
            result.accounts = facts.rows
            hits = _hits(con, facts, books, result)
            result.hits = hits.num_rows
            check()
            fresh = _not_suppressed(con, hits, books, now)
            _act(con, facts, fresh, {b.name: b for b in books}, versions, pb, now, result)
        if transaction:
            con.execute("COMMIT")
    except BaseException:
        if transaction:
            con.execute("ROLLBACK")
        raise
    result.seconds = time.perf_counter() - started
    return result


def _hits(
    con: duckdb.DuckDBPyConnection, facts: Facts, books: list[Playbook], result: RunResult
) -> pa.Table:
    """Every playbook's hits, with its name (``playbook``) beside them. A playbook the data
    cannot evaluate (a custom field of another type) is left out and named in ``result``:
    the others still run."""
    ctx = TriggerContext(con, facts)
    parts = []
    wheres: dict[str, np.ndarray] = {}  # a filter shared by playbooks is evaluated once
    ids = facts.table.column("account_id")
    for book in books:
        try:
            hits = _book_hits(ctx, book, wheres, ids)
        except PlaybookError as exc:
            log.warning("playbook %s left out of this run: %s", book.name, exc.message)
            result.errors[book.name] = exc.message
            continue
        parts.append(hits.append_column("playbook", pa.array([book.name] * hits.num_rows,
                                                             pa.string())))  # fmt: skip
    if not parts:
        return HITS_SCHEMA.empty_table().append_column("playbook", pa.array([], pa.string()))
    return pa.concat_tables(parts)


def _book_hits(
    ctx: TriggerContext, book: Playbook, wheres: dict[str, np.ndarray], ids: pa.ChunkedArray
) -> pa.Table:
    hits = REGISTRY[book.trigger.kind].evaluate(ctx, book.trigger)
    if book.where and hits.num_rows:
        if book.where not in wheres:
            wheres[book.where] = condition_mask(ctx.facts, book.where,
                                                f"playbook {book.name}: where")  # fmt: skip
        rows = pc.index_in(hits.column("account_id"), ids).to_numpy(zero_copy_only=False)
        hits = hits.filter(pa.array(wheres[book.where][rows]))
    return hits


def _not_suppressed(
    con: duckdb.DuckDBPyConnection, hits: pa.Table, books: list[Playbook], now: datetime
) -> list[dict[str, Any]]:
    """The hits that fire: no open task for their reason, no cool-down, no repeat."""
    if not hits.num_rows:
        return []
    rules = pa.table({
        "playbook": [b.name for b in books],
        "cooldown_from": [now - timedelta(days=b.cooldown_days) for b in books],
        "once": [REGISTRY[b.trigger.kind].once for b in books],
    })  # fmt: skip
    cur = con
    cur.register("_pb_hits", hits)
    cur.register("_pb_rules", rules)
    try:
        found: list[dict[str, Any]] = (
            cur.sql(
                """
            SELECT h.account_id, h.playbook, h.reason, h.context FROM _pb_hits h
            JOIN _pb_rules r USING (playbook)
            WHERE NOT EXISTS (
                SELECT 1 FROM tasks t WHERE t.status = 'open' AND t.account_id = h.account_id
                  AND t.playbook = h.playbook AND t.reason = h.reason)
              AND NOT EXISTS (
                SELECT 1 FROM playbook_firings f
                WHERE f.account_id = h.account_id AND f.playbook = h.playbook
                  AND (f.fired_at > r.cooldown_from
                       OR (f.reason = h.reason AND (r.once OR f.fired_at > $same_from))))
            QUALIFY row_number() OVER (PARTITION BY h.account_id, h.playbook
                                       ORDER BY h.reason) = 1
            ORDER BY h.playbook, h.account_id
            """,
                params={"same_from": now - timedelta(days=SAME_REASON_DAYS)},
            )
            .to_arrow_table()
            .to_pylist()
        )
    finally:
        cur.unregister("_pb_hits")
        cur.unregister("_pb_rules")
    return found


class _Ids:
    """Unique ids for one run's rows: a random prefix and a counter (a uuid each is slow)."""

    def __init__(self) -> None:
        self.prefix = uuid.uuid4().hex[:10]
        self.count = 0

    def next(self) -> str:
        self.count += 1
        return f"{self.prefix}{self.count:06x}"


def _variant(book: Playbook, value: object) -> tuple[str, list[Action]]:
    if value is not None:
        text = str(value)
        for key, actions in book.variants.items():
            if key.lower() == text.lower():
                return key, actions
    return "default", book.actions


def _act(
    con: duckdb.DuckDBPyConnection,
    facts: Facts,
    fired: list[dict[str, Any]],
    books: dict[str, Playbook],
    versions: dict[str, int],
    pb: PlaybooksConfig,
    now: datetime,
    result: RunResult,
) -> None:
    if not fired:
        return
    variant_values = facts.column(pb.variant_field)
    csms = facts.column("csm_id")
    robin = RoundRobin(con)
    ids = _Ids()
    firings: list[dict[str, Any]] = []
    tasks: list[dict[str, Any]] = []
    touches: list[dict[str, Any]] = []
    values: list[tuple[str, str, Any, str]] = []
    for hit in fired:
        book = books[hit["playbook"]]
        account = hit["account_id"]
        row = facts.index[account]
        variant, actions = _variant(book, variant_values[row])
        out = held_out(book.name, account, book.holdout)
        firing_id = f"F-{ids.next()}"
        version = versions[book.name]
        firings.append({
            "firing_id": firing_id, "account_id": account, "playbook": book.name,
            "playbook_version": version, "variant": variant, "reason": hit["reason"],
            "context": hit["context"], "held_out": out, "actions": 0 if out else len(actions),
            "fired_at": now,
        })  # fmt: skip
        result.by_playbook[book.name] = result.by_playbook.get(book.name, 0) + 1
        if out:
            result.held_out += 1
            continue
        for i, action in enumerate(actions):
            if isinstance(action, TaskAction):
                tasks.append(_task(action, pb, robin, account, csms[row], book.name, version,
                                   firing_id, hit["reason"], hit["context"], now,
                                   f"T-{ids.next()}"))  # fmt: skip
            elif isinstance(action, SetFieldAction):
                values.append((account, action.field, action.value, book.name))
            elif isinstance(action, AddToSegmentAction):
                values.append((account, action.field, True, book.name))
            elif isinstance(action, TouchAction):
                touches.append({
                    "request_id": f"R-{ids.next()}", "account_id": account,
                    "playbook": book.name, "playbook_version": version, "firing_id": firing_id,
                    "channel": action.channel, "template": action.template,
                    "recipient": action.to,
                    "context": json.dumps({**json.loads(hit["context"] or "{}"),
                                           "reason": hit["reason"],
                                           "variant": variant}, default=str),
                    "idempotency_key": f"pb-{firing_id}-{i}", "created_at": now,
                })  # fmt: skip
    _insert(con, "playbook_firings", firings, FIRING_SCHEMA)
    result.firings = len(firings)
    result.tasks = insert_tasks(con, tasks)
    robin.save(con)
    result.fields = _set_fields(con, values, now)
    _insert(con, "touch_requests", touches, TOUCH_SCHEMA)
    result.touches = len(touches)


def _insert(
    con: duckdb.DuckDBPyConnection, table: str, rows: list[dict[str, Any]], schema: pa.Schema
) -> None:
    """Rows into ``table`` in one statement (row by row costs seconds per thousand)."""
    if not rows:
        return
    con.register("_pb_rows", pa.Table.from_pylist(rows, schema))
    try:
        con.execute(f"INSERT INTO {table} ({', '.join(schema.names)}) SELECT * FROM _pb_rows")
    finally:
        con.unregister("_pb_rows")


def _task(
    action: TaskAction, pb: PlaybooksConfig, robin: RoundRobin, account: str, csm: Any,
    playbook: str, version: int, firing_id: str, reason: str, context: str, now: datetime,
    task_id: str,
) -> dict[str, Any]:  # fmt: skip
    assignee, team, queue = None, None, None
    if action.owner == "csm":
        assignee = csm
        if assignee is None:
            queue = "success"  # no CSM: the success queue
    elif action.owner.startswith("team:"):
        assignee, team = robin.pick(action.owner[len("team:") :])
        if assignee is None:
            queue = "success"  # an empty or unknown team: the success queue, team named
    else:
        queue = action.owner[len("queue:") :]
    steps = [*(pb.templates.get(action.template, []) if action.template else []), *action.steps]
    return new_task_row(
        account, action.title, type=action.type, priority=action.priority,
        due_at=now + timedelta(days=action.due_days), created_by=f"playbook:{playbook}",
        now=now, reason=reason, assignee=assignee, team=team, queue=queue, steps=steps,
        context=context, playbook=playbook, playbook_version=version, firing_id=firing_id,
        task_id=task_id,
    )  # fmt: skip


def _set_fields(
    con: duckdb.DuckDBPyConnection, values: list[tuple[str, str, Any, str]], now: datetime
) -> int:
    """Write custom fields of accounts (source ``playbook``), typed like a load's."""
    for account, name, value, playbook in values:
        kind = "bool" if isinstance(value, bool) else "number" if isinstance(value, float | int) \
            else "text"  # fmt: skip
        text = str(value).lower() if isinstance(value, bool) else str(value)
        load = f"playbook:{playbook}"
        con.execute(
            "INSERT INTO custom_fields VALUES ('accounts', ?, ?, NULL, ?, 'playbook', ?) "
            "ON CONFLICT (entity, name) DO NOTHING",
            [name, kind, load, now],
        )
        con.execute(
            "INSERT INTO custom_values VALUES ('accounts', ?, ?, ?, TRY_CAST(? AS DOUBLE), "
            "TRY_CAST(? AS BOOLEAN), TRY_CAST(? AS DATE), ?, 'playbook', ?) "
            "ON CONFLICT (entity, record_id, name) DO UPDATE SET value = excluded.value, "
            "number = excluded.number, flag = excluded.flag, day = excluded.day, "
            "load_id = excluded.load_id, source = excluded.source, loaded_at = excluded.loaded_at",
            [account, name, text, text, text, text, load, now],
        )
    return len(values)
