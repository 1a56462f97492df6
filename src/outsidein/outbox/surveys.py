"""Outcome-survey invitations sent through the outbox (docs/jobs.md#surveys): one email per
new invitation, with the contact's own link, from the ``survey_invitation`` template.

The link's token is in the email the outbox keeps (as the unsubscribe link is), never in the
invitations table, which holds only its hash.
"""

from __future__ import annotations

import hashlib

import duckdb

from outsidein.config import OutsideInConfig
from outsidein.jobs.surveys import Issued, Survey, survey_link
from outsidein.outbox.queue import enqueue
from outsidein.settings.outbox import OutboxSettings

__all__ = ["TEMPLATE", "send_invitations"]

TEMPLATE = "survey_invitation"


def _tag(token: str) -> str:
    """A new token's own idempotency key part (a reissued link is a new email)."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()[:16]


def send_invitations(
    con: duckdb.DuckDBPyConnection,
    survey: Survey,
    issued: list[Issued],
    config: OutsideInConfig | None = None,
    settings: OutboxSettings | None = None,
) -> int:
    """Queue an email for each issued invitation with an address; returns how many."""
    settings = settings or OutboxSettings()
    queued = 0
    for one in issued:
        if not one.email:
            continue
        message = enqueue(
            con,
            channel="email",
            account_id=one.account_id,
            contact_id=one.contact_id,
            template=TEMPLATE,
            context={
                "survey_url": survey_link(settings.public_url, one.token),
                "survey_title": survey.title,
            },
            idempotency_key=f"survey:{survey.survey_id}:{one.contact_id}:{_tag(one.token)}",
            source=f"survey:{survey.survey_id}",
            config=config,
            settings=settings,
        )
        con.execute(
            "UPDATE survey_invitations SET message_id = ? WHERE survey_id = ? AND contact_id = ?",
            [message, survey.survey_id, one.contact_id],
        )
        queued += 1
    return queued
