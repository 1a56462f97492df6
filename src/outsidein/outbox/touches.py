"""The playbooks' touches into the outbox: each pending ``touch_requests`` row is queued for
delivery with its own idempotency key, and marked taken in the same transaction.

A playbook's ``touch`` action names a recipient (``to``): for an email, a contact of the
account by role (``champion``, ``admin``...), by email address, or by contact id; a webhook
goes to the configured webhook. A request that cannot be queued (no such contact, an unknown
template) is taken too, so it cannot block the others, and named in the step's detail and
the server log: nothing is dropped without a word.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

import duckdb

from outsidein.config import OutsideInConfig
from outsidein.errors import OutsideInError
from outsidein.outbox.queue import enqueue
from outsidein.playbooks.touches import TouchRequest, mark_consumed, pending_touches
from outsidein.settings.outbox import OutboxSettings

__all__ = ["TakenTouches", "take_touches"]

log = logging.getLogger(__name__)


@dataclass
class TakenTouches:
    queued: int = 0
    refused: list[tuple[str, str]] = field(default_factory=list)  # (request id, why)


def _contact(con: duckdb.DuckDBPyConnection, request: TouchRequest) -> str | None:
    """The account's contact the request names: by id, email, or role (the first by id)."""
    rows = con.execute(
        "SELECT contact_id FROM contacts WHERE account_id = $account AND (contact_id = $to "
        "OR lower(email) = lower($to) OR lower(role) = lower($to)) "
        "ORDER BY contact_id = $to DESC, lower(email) = lower($to) DESC, contact_id LIMIT 1",
        {"account": request.account_id, "to": request.recipient},
    ).fetchall()
    return str(rows[0][0]) if rows else None


def take_touches(
    con: duckdb.DuckDBPyConnection,
    config: OutsideInConfig,
    settings: OutboxSettings,
    limit: int = 1000,
) -> TakenTouches:
    """Queue the pending touches (oldest first, up to ``limit``) in one transaction."""
    taken = TakenTouches()
    con.execute("BEGIN TRANSACTION")
    try:
        pending = pending_touches(con, limit)
        for request in pending:
            contact = None if request.channel == "webhook" else _contact(con, request)
            try:
                if request.channel == "email" and contact is None:
                    raise OutsideInError(
                        f"account {request.account_id} has no contact {request.recipient!r} "
                        "(a role, an email address or a contact id)"
                    )
                enqueue(
                    con, channel=request.channel,  # type: ignore[arg-type]
                    account_id=request.account_id, contact_id=contact,
                    template=request.template, context=request.context,
                    idempotency_key=request.idempotency_key,
                    source=f"playbook:{request.playbook}", config=config, settings=settings,
                )  # fmt: skip
                taken.queued += 1
            except OutsideInError as exc:
                taken.refused.append((request.request_id, exc.message))
                log.warning("touch %s not queued: %s", request.request_id, exc.message)
        mark_consumed(con, [r.request_id for r in pending])
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    return taken
