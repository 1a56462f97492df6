"""The outbox's errors: each names what is wrong and what would be valid."""

from __future__ import annotations

from outsidein.errors import NotFoundError, OutsideInError

__all__ = ["MessageNotFoundError", "OutboxError", "TemplateError"]


class OutboxError(OutsideInError):
    """A message cannot be enqueued or retried as asked."""

    code = "outbox_refused"
    http_status = 422
    exit_code = 2


class TemplateError(OutboxError):
    """A template is unknown, does not parse, or reads a field the message does not have."""

    code = "template_error"
    http_status = 422


class MessageNotFoundError(NotFoundError):
    """No outbox message has that id."""
