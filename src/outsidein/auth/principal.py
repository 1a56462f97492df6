"""Who is asking: the user behind a session, an API token or the server's own token.

Every request past the guard carries one :class:`Principal` (``request.state.principal``).
Routes ask it what the caller may do (:meth:`Principal.allows`) and which accounts they see
(:attr:`Principal.book`: None is the whole portfolio, else a CSM id).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from outsidein.auth.roles import Role, ScopeName
from outsidein.auth.users import User

Via = Literal["session", "token", "server"]
_SCOPE_CAP: dict[ScopeName, Role] = {
    "read": Role.VIEWER,
    "write": Role.MANAGER,
    "admin": Role.ADMIN,
}


@dataclass(frozen=True)
class Principal:
    """The caller of one request, as authenticated."""

    username: str
    role: Role
    via: Via
    user_id: str | None = None
    csm_id: str | None = None
    scope: ScopeName | None = None  # an API token's scope
    csrf_token: str | None = None  # a browser session's
    portfolio: bool = False  # OUTSIDEIN_CSM_SEES_PORTFOLIO

    @classmethod
    def of_user(
        cls,
        user: User,
        via: Via,
        *,
        scope: ScopeName | None = None,
        csrf_token: str | None = None,
        csm_sees_portfolio: bool = False,
    ) -> Principal:
        return cls(
            user.username,
            user.role,
            via,
            user.user_id,
            user.csm_id,
            scope,
            csrf_token,
            csm_sees_portfolio,
        )

    @property
    def effective_role(self) -> Role:
        """The role, capped by a token's scope (a ``write`` token cannot manage users)."""
        if self.scope is None:
            return self.role
        cap = _SCOPE_CAP[self.scope]
        role = min(self.role, cap)
        # A write token of a CSM stays a CSM; a read token reads whatever its user reads.
        return Role(max(role, Role.VIEWER))

    @property
    def read_only(self) -> bool:
        return self.role == Role.VIEWER or self.scope == "read"

    def allows(self, minimum: Role) -> bool:
        return self.effective_role >= minimum

    @property
    def book(self) -> str | None:
        """The CSM id whose accounts this caller sees; None for the whole portfolio."""
        if self.role == Role.CSM and not self.portfolio:
            return self.csm_id or ""
        return None


SERVER = Principal("server", Role.ADMIN, "server")

__all__ = ["SERVER", "Principal", "Via"]
