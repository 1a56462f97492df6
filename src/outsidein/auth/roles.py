"""Roles and token scopes, ordered: each includes what the ones below it may do.

* ``viewer`` reads (the whole portfolio) and changes nothing;
* ``csm`` reads and works on their own book (``users.csm_id`` = ``accounts.csm_id``),
  unless ``OUTSIDEIN_CSM_SEES_PORTFOLIO`` opens the portfolio to CSMs;
* ``manager`` reads and works on the whole portfolio and runs portfolio-wide jobs;
* ``admin`` also manages users, tokens, write keys, the configuration and loads.

An API token's scope caps its owner's role: ``read`` answers only safe methods, ``write``
also changes data, ``admin`` is needed for admin-only routes.
"""

from __future__ import annotations

from enum import IntEnum
from typing import Literal

from outsidein.errors import InvalidRequestError

RoleName = Literal["viewer", "csm", "manager", "admin"]
ScopeName = Literal["read", "write", "admin"]
SCOPES: tuple[ScopeName, ...] = ("read", "write", "admin")


class Role(IntEnum):
    """A user's role; comparisons follow the order of what each may do."""

    VIEWER = 1
    CSM = 2
    MANAGER = 3
    ADMIN = 4

    @property
    def label(self) -> str:
        return self.name.lower()

    @classmethod
    def parse(cls, value: str) -> Role:
        try:
            return cls[value.strip().upper()]
        except KeyError:
            names = ", ".join(r.label for r in cls)
            raise InvalidRequestError(
                f"no role {value!r}; the roles are {names}", field="role", value=value
            ) from None


def check_scope(value: str) -> ScopeName:
    """``value`` as a scope, or a message naming the scopes."""
    for scope in SCOPES:
        if value.strip().lower() == scope:
            return scope
    raise InvalidRequestError(
        f"no token scope {value!r}; the scopes are {', '.join(SCOPES)}", field="scope", value=value
    )


__all__ = ["SCOPES", "Role", "RoleName", "ScopeName", "check_scope"]
