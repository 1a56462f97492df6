"""Notes and logged calls and meetings: what a person writes down about an account.

Rows are only added (the timeline is a record of what happened); the author is the signed-in
user, never a value the caller sends.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Literal, get_args

import duckdb

from outsidein.errors import InvalidRequestError, NotFoundError
from outsidein.timeline.models import Note

__all__ = ["MAX_BODY", "NOTE_KINDS", "NoteKind", "add_note"]

NoteKind = Literal["note", "call", "meeting"]
NOTE_KINDS: tuple[str, ...] = get_args(NoteKind)
MAX_BODY, MAX_SUBJECT = 10_000, 200
OLDEST = datetime(2000, 1, 1)  # a call logged before this is a typo
SKEW = timedelta(minutes=5)  # a client clock a little ahead is not "the future"


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None, microsecond=0)


def add_note(
    con: duckdb.DuckDBPyConnection,
    account_id: str,
    *,
    body: str,
    author: str,
    kind: str = "note",
    subject: str | None = None,
    at: datetime | None = None,
) -> Note:
    """Log a note (or a call or meeting held ``at``, default now) on ``account_id``."""
    now = _now()
    text = body.strip()
    if kind not in NOTE_KINDS:
        raise InvalidRequestError(
            f"kind {kind!r} is not one of {', '.join(NOTE_KINDS)}", field="kind", value=kind
        )
    if not text:
        raise InvalidRequestError("body: write something (it is empty)", field="body")
    if len(text) > MAX_BODY:
        raise InvalidRequestError(
            f"body: {len(text):,} characters is over {MAX_BODY:,}; shorten it", field="body"
        )
    title = (subject or "").strip() or None
    if title is not None and len(title) > MAX_SUBJECT:
        raise InvalidRequestError(
            f"subject: {len(title)} characters is over {MAX_SUBJECT}", field="subject"
        )
    when = now if at is None else at
    if when.tzinfo is not None:
        when = when.astimezone(UTC).replace(tzinfo=None)
    if not OLDEST <= when <= now + SKEW:
        raise InvalidRequestError(
            f"at: {when:%Y-%m-%d %H:%M} UTC is not allowed; use a time from "
            f"{OLDEST:%Y-%m-%d} to now",
            field="at",
            value=when.isoformat(),
        )
    found = con.execute("SELECT 1 FROM accounts WHERE account_id = ?", [account_id]).fetchone()
    if found is None:
        raise NotFoundError(f"no account with account_id {account_id!r}", account_id=account_id)
    note = Note(
        note_id=uuid.uuid4().hex,
        account_id=account_id,
        kind=kind,
        at=when,
        subject=title,
        body=text,
        author=author,
        created_at=now,
    )
    con.execute(
        "INSERT INTO account_notes VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        [note.note_id, note.account_id, note.kind, note.at, note.subject, note.body,
         note.author, note.created_at],
    )  # fmt: skip
    return note
