"""Delivery: at least once, with retries, backoff with jitter, and dead letters.

For each message due (queued, its next attempt reached), in order:

1. an email: the contact's consent (an unsubscribed contact's message is ``suppressed``),
   then quiet hours in their time zone and the frequency cap (it waits until they allow);
2. the attempt is counted and committed *before* sending, so a message that crashes the
   process still reaches the retry limit;
3. it is sent; only once the receiver acknowledged is it marked ``sent``. A crash between the
   two sends it again, under the same idempotency key, for the receiver to drop;
4. a failure waits ``backoff * 2^(n-1)`` seconds (capped, times a random 0.5-1 jitter) and is
   tried again, until ``max_attempts``: then it is a dead letter (a refusal of the message
   itself, a webhook's 4xx or an SMTP 5xx, is one at once). People retry dead letters.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import duckdb

from outsidein.outbox import policy
from outsidein.outbox.consent import unsubscribe_url, unsubscribed
from outsidein.outbox.queue import _COLUMNS, Message
from outsidein.outbox.transport import DeliveryFailure, email_of, post_webhook, send_email
from outsidein.settings.outbox import OutboxConfig, OutboxSettings

__all__ = ["DeliveryRun", "backoff", "deliver_due"]

log = logging.getLogger("outsidein.outbox")


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


@dataclass
class DeliveryRun:
    """What one pass did; ``more``: messages were still due when it stopped."""

    sent: int = 0
    failed: int = 0
    dead: int = 0
    held: int = 0
    suppressed: int = 0
    more: bool = False

    @property
    def touched(self) -> int:
        return self.sent + self.failed + self.dead + self.held + self.suppressed


def backoff(
    config: OutboxConfig, attempts: int, rand: Callable[[], float] = random.random
) -> float:
    """Seconds to wait after the ``attempts``-th failure: exponential, capped, jittered."""
    full = min(config.max_backoff_seconds, config.backoff_seconds * 2.0 ** max(0, attempts - 1))
    return full * (0.5 + 0.5 * rand())


def deliver_due(
    con: duckdb.DuckDBPyConnection,
    config: OutboxConfig,
    settings: OutboxSettings,
    *,
    now: Callable[[], datetime] = _now,
    limit: int | None = None,
    keep_going: Callable[[], bool] = lambda: True,
) -> DeliveryRun:
    """Deliver up to ``limit`` (default: the config's batch) due messages, one at a time,
    while ``keep_going()`` (the step's budget and cancel flag)."""
    run = DeliveryRun()
    batch = limit or config.batch
    due = con.execute(
        f"SELECT {_COLUMNS} FROM outbox_messages WHERE status = 'queued' "
        "AND next_attempt_at <= ? ORDER BY next_attempt_at, created_at LIMIT ?",
        [now(), batch + 1],
    ).fetchall()
    run.more = len(due) > batch
    for row in due[:batch]:
        if not keep_going():
            run.more = True
            break
        _deliver_one(con, Message.of(row), config, settings, now, run)
    return run


def _deliver_one(
    con: duckdb.DuckDBPyConnection,
    message: Message,
    config: OutboxConfig,
    settings: OutboxSettings,
    now: Callable[[], datetime],
    run: DeliveryRun,
) -> None:
    at = now()
    to: str | None = None
    if message.channel == "email":
        contact = con.execute(
            "SELECT email, timezone FROM contacts WHERE contact_id = ?", [message.contact_id]
        ).fetchall()
        email, zone_name = contact[0] if contact else (None, None)
        why = None
        if not contact or message.contact_id is None:
            why = "the contact no longer exists"
        elif unsubscribed(con, message.contact_id):
            why = "the contact unsubscribed"
        elif not email:
            why = "the contact has no email address"
        if why is not None:
            _set(con, message, at, status="suppressed", held=why)
            run.suppressed += 1
            return
        zone = policy.zone_of(zone_name, config.quiet_hours)
        opens = policy.quiet_until(at, zone, config.quiet_hours)
        if opens is not None:
            _hold(
                con,
                message,
                at,
                opens,
                f"quiet hours ({zone.key}) until {opens:%Y-%m-%d %H:%M} UTC",
            )
            run.held += 1
            return
        capped = policy.cap_until(con, str(message.contact_id), at, config)
        if capped is not None:
            cap = f"{config.cap_messages} per {config.cap_period_hours:g} h"
            _hold(
                con, message, at, capped, f"frequency cap ({cap}) until {capped:%Y-%m-%d %H:%M} UTC"
            )
            run.held += 1
            return
        to = str(email)
    if message.attempts >= config.max_attempts:
        # Every attempt was counted and none came back: the process stopped mid-send each time.
        why = f"{message.attempts} attempts never finished (the process stopped mid-send)"
        _set(con, message, at, status="dead", held=why)
        run.dead += 1
        return
    attempt = message.attempts + 1
    con.execute(
        "UPDATE outbox_messages SET attempts = ?, updated_at = ? WHERE message_id = ?",
        [attempt, at, message.message_id],
    )  # counted before sending: a message that kills the process still reaches the limit
    started = time.perf_counter()
    try:
        recipient = _send(con, message, to, config, settings)
    except DeliveryFailure as failure:
        _failed(con, message, attempt, at, failure, time.perf_counter() - started, config, run)
        return
    seconds = time.perf_counter() - started
    done = now()
    con.execute("BEGIN TRANSACTION")
    try:
        _record_attempt(con, message, done, "sent", None, seconds)
        con.execute(
            "UPDATE outbox_messages SET status = 'sent', sent_at = ?, recipient = ?, held = NULL, "
            "last_error = NULL, updated_at = ? WHERE message_id = ?",
            [done, recipient, done, message.message_id],
        )
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    run.sent += 1


def _send(
    con: duckdb.DuckDBPyConnection,
    message: Message,
    to: str | None,
    config: OutboxConfig,
    settings: OutboxSettings,
) -> str:
    if config.delivery == "log":
        log.info(
            "outbox (log only) %s %s to %s: %s", message.channel, message.message_id,
            to or "the webhook", (message.subject or message.body)[:80],
        )  # fmt: skip
        return f"log: {to or 'webhook'}"
    if message.channel == "webhook":
        return post_webhook(message, settings)
    assert to is not None
    link = None
    if message.contact_id is not None:
        link = unsubscribe_url(con, message.contact_id, settings.public_url)
    try:
        mail = email_of(message, to, settings, link)
    except (ValueError, TypeError) as exc:  # e.g. a line break in the address: no email
        raise DeliveryFailure(f"cannot write the email to {to!r}: {exc}", permanent=True) from None
    send_email(mail, settings)
    return to


def _failed(
    con: duckdb.DuckDBPyConnection,
    message: Message,
    attempt: int,
    at: datetime,
    failure: DeliveryFailure,
    seconds: float,
    config: OutboxConfig,
    run: DeliveryRun,
) -> None:
    dead = failure.permanent or attempt >= config.max_attempts
    con.execute("BEGIN TRANSACTION")
    try:
        _record_attempt(con, message, at, "refused" if failure.permanent else "failed",
                        failure.reason, seconds)  # fmt: skip
        if dead:
            why = "refused by the receiver" if failure.permanent else f"{attempt} attempts failed"
            _set(con, message, at, status="dead", held=why, error=failure.reason)
        else:
            wait = backoff(config, attempt)
            retry_at = at + timedelta(seconds=wait)
            held = f"retry {attempt + 1} of {config.max_attempts} at {retry_at:%H:%M:%S} UTC"
            con.execute(
                "UPDATE outbox_messages SET next_attempt_at = ?, held = ?, last_error = ?, "
                "updated_at = ? WHERE message_id = ?",
                [retry_at, held, failure.reason, at, message.message_id],
            )
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    log.warning("outbox %s attempt %d failed: %s", message.message_id, attempt, failure.reason)
    if dead:
        run.dead += 1
    else:
        run.failed += 1


def _record_attempt(
    con: duckdb.DuckDBPyConnection,
    message: Message,
    at: datetime,
    outcome: str,
    error: str | None,
    seconds: float,
) -> None:
    con.execute(
        "INSERT INTO outbox_attempts SELECT ?, coalesce(max(attempt), 0) + 1, ?, ?, ?, ? "
        "FROM outbox_attempts WHERE message_id = ?",
        [message.message_id, at, outcome, error, seconds, message.message_id],
    )


def _hold(
    con: duckdb.DuckDBPyConnection, message: Message, at: datetime, until: datetime, why: str
) -> None:
    con.execute(
        "UPDATE outbox_messages SET next_attempt_at = ?, held = ?, updated_at = ? "
        "WHERE message_id = ?",
        [until, why, at, message.message_id],
    )


def _set(
    con: duckdb.DuckDBPyConnection,
    message: Message,
    at: datetime,
    *,
    status: str,
    held: str,
    error: str | None = None,
) -> None:
    con.execute(
        "UPDATE outbox_messages SET status = ?, held = ?, last_error = coalesce(?, last_error), "
        "updated_at = ? WHERE message_id = ?",
        [status, held, error, at, message.message_id],
    )
