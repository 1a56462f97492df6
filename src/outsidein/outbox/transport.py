"""The two ways out: an email over SMTP (smtplib) and a webhook POST (urllib, JSON).

Each carries the message's idempotency key where a receiver can see it (``Idempotency-Key``
header; for email also a stable ``Message-ID``), so that a message sent twice (a crash after
the receiver acknowledged but before the outbox recorded it) can be dropped by the receiver.
A failure says whether trying again may help (``permanent``: a 4xx from a webhook, a 5xx from
an SMTP server refuse the message itself).
"""

from __future__ import annotations

import json
import smtplib
import ssl
import urllib.error
import urllib.parse
import urllib.request
from email.message import EmailMessage
from email.utils import formatdate
from typing import Any

from outsidein import __version__
from outsidein.outbox.queue import Message
from outsidein.settings.outbox import OutboxSettings

__all__ = ["DeliveryFailure", "email_of", "payload_of", "post_webhook", "send_email"]

RETRYABLE_HTTP = frozenset({408, 425, 429})


class DeliveryFailure(Exception):
    """The receiver did not acknowledge; ``permanent``: it refused the message itself."""

    def __init__(self, reason: str, *, permanent: bool = False) -> None:
        super().__init__(reason)
        self.reason = reason
        self.permanent = permanent


def message_id_header(message: Message) -> str:
    """The email's Message-ID: the same on every retry of this message."""
    return f"<{message.message_id}@outsidein>"


def email_of(
    message: Message, to: str, settings: OutboxSettings, unsubscribe: str | None
) -> EmailMessage:
    """The email as sent: headers a receiver de-duplicates on, and the unsubscribe header."""
    mail = EmailMessage()
    mail["From"] = settings.from_address
    mail["To"] = to
    mail["Subject"] = message.subject or message.template
    mail["Date"] = formatdate(usegmt=True)
    mail["Message-ID"] = message_id_header(message)
    mail["Idempotency-Key"] = message.idempotency_key
    if unsubscribe:
        mail["List-Unsubscribe"] = f"<{unsubscribe}>"
        mail["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    mail.set_content(message.body)
    return mail


def send_email(mail: EmailMessage, settings: OutboxSettings) -> None:
    """Hand the email to the SMTP server; returns once it accepted it (250)."""
    if not settings.smtp_host:
        raise DeliveryFailure("no SMTP server: set OUTSIDEIN_OUTBOX_SMTP_HOST")
    host, port, timeout = settings.smtp_host, settings.smtp_port, settings.smtp_timeout
    try:
        client: smtplib.SMTP
        if settings.smtp_security == "ssl":
            client = smtplib.SMTP_SSL(
                host, port, timeout=timeout, context=ssl.create_default_context()
            )
        else:
            client = smtplib.SMTP(host, port, timeout=timeout)
        with client:
            if settings.smtp_security == "starttls":
                client.starttls(context=ssl.create_default_context())
            if settings.smtp_user:
                password = settings.smtp_password
                client.login(settings.smtp_user, password.get_secret_value() if password else "")
            client.send_message(mail)
    except smtplib.SMTPRecipientsRefused as exc:
        codes = [code for code, _ in exc.recipients.values()]
        raise DeliveryFailure(
            f"SMTP refused the recipient: {exc.recipients}", permanent=all(c >= 500 for c in codes)
        ) from None
    except smtplib.SMTPResponseException as exc:
        text = (
            exc.smtp_error.decode("utf-8", "replace")
            if isinstance(exc.smtp_error, bytes)
            else exc.smtp_error
        )
        permanent = exc.smtp_code >= 500 and not isinstance(exc, smtplib.SMTPAuthenticationError)
        raise DeliveryFailure(f"SMTP {exc.smtp_code}: {text}", permanent=permanent) from None
    except (smtplib.SMTPException, OSError) as exc:
        raise DeliveryFailure(f"SMTP {host}:{port}: {exc or type(exc).__name__}") from None


def payload_of(message: Message) -> dict[str, Any]:
    """The webhook's JSON: Slack's ``text``, then the message's own fields."""
    return {
        "text": message.body,
        "message_id": message.message_id,
        "idempotency_key": message.idempotency_key,
        "account_id": message.account_id,
        "contact_id": message.contact_id,
        "template": message.template,
        "source": message.source,
        "created_at": message.created_at.isoformat() + "Z",
        "context": message.context,
    }


def post_webhook(message: Message, settings: OutboxSettings) -> str:
    """POST the message; returns the URL's host once the receiver answered 2xx."""
    url = settings.webhook_url
    if not url:
        raise DeliveryFailure("no webhook URL: set OUTSIDEIN_OUTBOX_WEBHOOK_URL")
    body = json.dumps(payload_of(message), default=str).encode("utf-8")
    request = urllib.request.Request(
        url,
        data=body,
        method="POST",
        headers={
            "Content-Type": "application/json",
            "Idempotency-Key": message.idempotency_key,
            "User-Agent": f"outsidein/{__version__}",
        },
    )
    try:
        with urllib.request.urlopen(request, timeout=settings.webhook_timeout) as answer:
            answer.read(64 * 1024)
    except urllib.error.HTTPError as exc:
        permanent = 400 <= exc.code < 500 and exc.code not in RETRYABLE_HTTP
        raise DeliveryFailure(f"HTTP {exc.code} {exc.reason}", permanent=permanent) from None
    except (urllib.error.URLError, OSError, TimeoutError) as exc:
        reason = getattr(exc, "reason", None) or exc or type(exc).__name__
        raise DeliveryFailure(f"POST {url.split('?')[0]}: {reason}") from None
    return urllib.parse.urlsplit(url).hostname or url
