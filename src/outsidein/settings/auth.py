"""Sign-in and hardening settings of the server (``OUTSIDEIN_*`` environment variables).

A leaf module (pydantic and the stdlib only), like every settings module: read once when the
app is made (docs/security.md, docs/configuration.md).
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

LOOPBACK_HOSTS = ("localhost", "127.0.0.1", "::1")


def _names(text: str) -> tuple[str, ...]:
    return tuple(part.strip().lower() for part in text.split(",") if part.strip())


class AuthSettings(BaseSettings):
    """Who may reach the server, how sessions behave, and what a CSM sees."""

    model_config = SettingsConfigDict(env_prefix="OUTSIDEIN_")

    allowed_hosts: str = Field(
        "",
        description="Comma-separated Host names the server answers besides the loopback names "
        "and the host it binds (refuses DNS-rebinding requests); '*' answers any.",
    )
    trusted_proxies: str = Field(
        "",
        description="Comma-separated client addresses whose X-Forwarded-Proto is believed "
        "(a TLS-terminating proxy): cookies are then Secure when it says https.",
    )
    secure_cookies: Literal["auto", "always", "never"] = Field(
        "auto",
        description="auto: Secure cookies when the request came over TLS (directly or via a "
        "trusted proxy); always; never.",
    )
    session_hours: float = Field(12.0, gt=0, le=24 * 90, description="A session's lifetime")
    csm_sees_portfolio: bool = Field(
        False, description="CSMs see every account (by default only their own book)."
    )
    login_attempts: int = Field(
        5, ge=1, description="Failed sign-ins allowed per user and client in the window"
    )
    login_window_minutes: float = Field(15.0, gt=0, description="The rate limit's window")
    max_body_kb: int = Field(
        1024, ge=1, description="Largest request body except file uploads (their own limit)"
    )

    @property
    def extra_hosts(self) -> tuple[str, ...]:
        return _names(self.allowed_hosts)

    @property
    def proxies(self) -> tuple[str, ...]:
        return _names(self.trusted_proxies)


__all__ = ["LOOPBACK_HOSTS", "AuthSettings"]
