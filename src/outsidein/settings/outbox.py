"""The outbox's settings: where messages go (``OUTSIDEIN_OUTBOX_*``) and its rules (``[outbox]``).

Secrets and endpoints (the SMTP server and its password, the webhook URL, which for Slack is a
secret) come from the environment, never from ``outsidein.toml``, which is versioned in the
store and shown by the API. The rules a CS team tunes (templates, retries, the frequency cap,
quiet hours) are the ``[outbox]`` section. A leaf module: pydantic, the stdlib and
``outsidein.jsontypes`` only.
docs/outbox.md is the reference.
"""

from __future__ import annotations

import re
import zoneinfo
from datetime import time
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from outsidein.jsontypes import ClockTime

__all__ = ["Delivery", "OutboxConfig", "OutboxSettings", "QuietHours", "Template"]

_NAME = re.compile(r"^[A-Za-z0-9_-]+$")
Delivery = Literal["send", "log"]


class OutboxSettings(BaseSettings):
    """Where and how the outbox delivers (environment ``OUTSIDEIN_OUTBOX_*``)."""

    model_config = SettingsConfigDict(env_prefix="OUTSIDEIN_OUTBOX_")

    smtp_host: str | None = Field(None, description="SMTP server; emails wait without one.")
    smtp_port: int = Field(587, ge=1, le=65535)
    smtp_security: Literal["starttls", "ssl", "none"] = Field(
        "starttls", description="STARTTLS on a plain port (587), TLS from the start (465), none."
    )
    smtp_user: str | None = None
    smtp_password: SecretStr | None = None
    smtp_timeout: float = Field(20.0, gt=0, le=300)
    from_address: str = Field("outsidein@localhost", description="The emails' From: address.")
    webhook_url: str | None = Field(
        None, description="Where webhook messages are POSTed (e.g. a Slack incoming webhook)."
    )
    webhook_timeout: float = Field(10.0, gt=0, le=120)
    public_url: str = Field(
        "http://127.0.0.1:8000",
        description="The server's address as a contact reaches it: unsubscribe links start here.",
    )

    @field_validator("webhook_url", "public_url")
    @classmethod
    def _http(cls, url: str | None) -> str | None:
        if url is not None and not url.startswith(("http://", "https://")):
            raise ValueError(f"{url!r}: give an http:// or https:// URL")
        return url


class Template(BaseModel):
    """One message's words, Jinja2 (sandboxed) over the account's and contact's fields."""

    model_config = ConfigDict(extra="forbid")

    subject: str | None = Field(None, max_length=500, description="Emails only.")
    body: str = Field(min_length=1, max_length=20_000)


class QuietHours(BaseModel):
    """No message reaches a contact between ``start`` and ``end`` of their own clock."""

    model_config = ConfigDict(extra="forbid")

    enabled: bool = True
    start: ClockTime = time(20, 0)
    end: ClockTime = time(8, 0)
    default_timezone: str = Field(
        "UTC", description="For contacts without a `timezone` (or with an unknown one)."
    )

    @field_validator("default_timezone")
    @classmethod
    def _zone(cls, name: str) -> str:
        try:
            zoneinfo.ZoneInfo(name)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"{name!r} is not an IANA time zone (e.g. Europe/Paris)") from None
        return name


def default_templates() -> dict[str, Template]:
    """The shipped templates: a check-in email and a risk alert for a team's channel."""
    return {
        "check_in": Template(
            subject="How is {{ account.name }} doing?",
            body=(
                "Hi {{ contact.first_name or 'there' }},\n\n"
                "It's {{ csm.name or 'your customer success team' }} from our team. "
                "{% if renewal_date %}Your renewal is on {{ renewal_date }}, and I{% else %}I"
                "{% endif %} would like to hear how things are going for {{ account.name }}.\n\n"
                "Best,\n{{ csm.name or 'Customer success' }}\n\n"
                "Unsubscribe: {{ unsubscribe_url }}\n"
            ),
        ),
        "risk_alert": Template(
            body=(
                ":warning: {{ account.name }} ({{ account.account_id }}): health "
                "{{ health.score if health.score is not none else 'unknown' }} "
                "({{ health.band or 'no band' }}), CSM {{ csm.name or 'unassigned' }}"
                "{% if renewal_date %}, renews {{ renewal_date }}{% endif %}."
            ),
        ),
        # An outcome survey's invitation (outsidein jobs survey invite --send).
        "survey_invitation": Template(
            subject="{{ survey_title }}: a few minutes on how {{ account.name }} is doing",
            body=(
                "Hi {{ contact.first_name or 'there' }},\n\n"
                "How important is each of these outcomes to you, and how satisfied are you "
                "today? Rate them here (your answers are saved as you go):\n\n"
                "{{ survey_url }}\n\nThank you,\n{{ csm.name or 'Customer success' }}\n\n"
                "Unsubscribe: {{ unsubscribe_url }}\n"
            ),
        ),
    }


class OutboxConfig(BaseModel):
    """The ``[outbox]`` section: templates, retries, the frequency cap and quiet hours."""

    model_config = ConfigDict(extra="forbid")

    delivery: Delivery = Field(
        "send",
        description="`send` delivers over SMTP and HTTP; `log` only logs each message and "
        "marks it sent (the demo's setting: nothing leaves the machine).",
    )
    templates: dict[str, Template] = Field(
        default_factory=default_templates, description="Templates by name."
    )
    max_attempts: int = Field(8, ge=1, le=50, description="Tries before a dead letter.")
    backoff_seconds: float = Field(
        30.0, gt=0, le=3600, description="Wait after the first failure; doubles each time."
    )
    max_backoff_seconds: float = Field(3600.0, gt=0, le=86_400)
    cap_messages: int = Field(
        3, ge=1, le=1000, description="At most this many messages to one contact ..."
    )
    cap_period_hours: float = Field(168.0, gt=0, le=24 * 366, description="... per this period.")
    quiet_hours: QuietHours = Field(
        default_factory=QuietHours, description="20:00-08:00 in the contact's time by default."
    )
    batch: int = Field(50, ge=1, le=10_000, description="Messages one pipeline run delivers.")

    @model_validator(mode="after")
    def _names(self) -> OutboxConfig:
        for name in self.templates:
            if not _NAME.match(name):
                raise ValueError(f"template name `{name}`: use letters, digits, `_` and `-`")
        if self.max_backoff_seconds < self.backoff_seconds:
            raise ValueError("max_backoff_seconds must be at least backoff_seconds")
        return self
