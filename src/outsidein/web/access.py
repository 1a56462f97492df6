"""Declared permissions: a route's minimum role, and the caller's book of accounts.

The guard (:mod:`outsidein.web.guard`) lets only signed-in callers past; here a route or a
router says what more it needs::

    router = APIRouter(prefix="/users", dependencies=[requires(Role.ADMIN)])

    @router.post("/snapshot", dependencies=[requires(Role.MANAGER)])

and a list filters to the caller's book with ``book: BookDep`` (``book.csm(csm)`` gives the
CSM filter to apply). Every route with an ``account_id`` (path or query) or ``account``
(query) parameter is checked against the caller's book by :func:`account_in_book`, which the
app runs for every route: a CSM gets 404 for an account outside their book, as if it did not
exist.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

import duckdb
from fastapi import Depends, Request

from outsidein.auth.errors import AuthenticationError, PermissionDeniedError
from outsidein.auth.principal import Principal
from outsidein.auth.roles import Role
from outsidein.errors import NotFoundError
from outsidein.web.deps import ServerStore

ACCOUNT_PARAMS = ("account_id", "account")


def current_principal(request: Request) -> Principal:
    """The caller the guard found (public routes may have none: they do not ask)."""
    principal: Principal | None = getattr(request.state, "principal", None)
    if principal is None:
        raise AuthenticationError("sign in first")
    return principal


PrincipalDep = Annotated[Principal, Depends(current_principal)]


def actor_name(principal: Principal) -> str:
    """Who the audit log names: the signed-in user, or ``cli`` for the server's own token
    (a command on this machine, docs/operations.md)."""
    return "cli" if principal.via == "server" else principal.username


def current_actor(principal: PrincipalDep) -> str:
    return actor_name(principal)


ActorDep = Annotated[str, Depends(current_actor)]


def requires(minimum: Role) -> Any:
    """A dependency refusing (403) callers below ``minimum`` (a token's scope caps its role)."""

    def check(principal: PrincipalDep) -> Principal:
        if not principal.allows(minimum):
            held = principal.effective_role.label
            scope = f" through a {principal.scope} token" if principal.scope else ""
            raise PermissionDeniedError(
                f"this needs the {minimum.label} role; {principal.username} acts as {held}{scope}"
            )
        return principal

    return Depends(check)


@dataclass(frozen=True)
class Book:
    """The accounts a caller sees: every one (``csm_id`` None), or one CSM's."""

    csm_id: str | None

    def csm(self, asked: str | None) -> str | None:
        """The CSM filter to apply when ``asked`` was requested."""
        if self.csm_id is None:
            return asked
        if asked is not None and asked.strip() and asked.strip().lower() != self.csm_id.lower():
            raise PermissionDeniedError(
                f"a CSM sees only their own book (CSM {self.csm_id}), not CSM {asked!r}"
            )
        return self.csm_id

    def choices(self, held: dict[str, list[str]]) -> dict[str, list[str]]:
        """Filter values a page offers: a CSM's CSM list holds only themselves (other CSMs'
        ids and names are not theirs to see)."""
        if self.csm_id is None:
            return held
        own = [c for c in held.get("csm_id", []) if c.lower() == self.csm_id.lower()]
        return {**held, "csm_id": own}

    def names(self, names: dict[str, str]) -> dict[str, str]:
        """CSM names a page may show: a CSM's own only."""
        if self.csm_id is None:
            return names
        return {k: v for k, v in names.items() if k.lower() == self.csm_id.lower()}


def get_book(principal: PrincipalDep) -> Book:
    return Book(principal.book)


BookDep = Annotated[Book, Depends(get_book)]


def account_in_book(request: Request) -> None:
    """Run for every API route and page: an account named in the path or the query must be
    in the caller's book (404 otherwise, as for an account that does not exist)."""
    principal: Principal | None = getattr(request.state, "principal", None)
    if principal is None or principal.book is None:
        return
    named = [
        value
        for name in ACCOUNT_PARAMS
        for value in (request.path_params.get(name), request.query_params.get(name))
        if value
    ]
    if not named:
        return
    store: ServerStore = request.app.state.store
    cur: duckdb.DuckDBPyConnection = store.cursor()
    try:
        for account in named:
            row = cur.execute(
                "SELECT csm_id FROM accounts WHERE account_id = ?", [str(account)]
            ).fetchone()
            if row is not None and (row[0] or "").lower() != principal.book.lower():
                raise NotFoundError(
                    f"no account with account_id {account!r}", account_id=str(account)
                )
    finally:
        cur.close()


__all__ = [
    "ActorDep",
    "Book",
    "BookDep",
    "PrincipalDep",
    "account_in_book",
    "actor_name",
    "current_principal",
    "requires",
]
