"""The outbox: automated touches (emails, webhooks) delivered at least once (docs/outbox.md).

The playbook engine calls :func:`enqueue` (idempotent on its key); the pipeline step
(:class:`~outsidein.outbox.step.OutboxStep`) delivers; people list, inspect and retry
messages through the API, the CLI and the outbox page. The timeline reads the table
``outbox_messages`` (one row per message, ``sent_at`` when acknowledged) and
``outbox_attempts`` (every try).
"""

from __future__ import annotations

from outsidein.outbox.consent import (
    contact_of_token,
    set_consent,
    unsubscribe_token,
    unsubscribe_url,
    unsubscribed,
)
from outsidein.outbox.deliver import DeliveryRun, deliver_due
from outsidein.outbox.errors import MessageNotFoundError, OutboxError, TemplateError
from outsidein.outbox.queue import (
    Attempt,
    Message,
    MessagePage,
    enqueue,
    get_message,
    list_messages,
    retry,
)

__all__ = [
    "Attempt",
    "DeliveryRun",
    "Message",
    "MessageNotFoundError",
    "MessagePage",
    "OutboxError",
    "TemplateError",
    "contact_of_token",
    "deliver_due",
    "enqueue",
    "get_message",
    "list_messages",
    "retry",
    "set_consent",
    "unsubscribe_token",
    "unsubscribe_url",
    "unsubscribed",
]
