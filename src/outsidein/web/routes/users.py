"""``/api/v1/users``, ``/api/v1/tokens`` and ``/api/v1/me``: people, their API tokens, and
who the caller is. Users are managed by admins; anyone manages their own tokens."""

from __future__ import annotations

import asyncio
import functools
from dataclasses import asdict
from typing import Any

from fastapi import APIRouter

from outsidein.auth import tokens as t
from outsidein.auth import users as u
from outsidein.auth.errors import PermissionDeniedError
from outsidein.auth.roles import Role
from outsidein.errors import NotFoundError
from outsidein.web.access import ActorDep, PrincipalDep, actor_name, requires
from outsidein.web.deps import CursorDep
from outsidein.web.schemas.errors import ErrorResponse, refused
from outsidein.web.schemas.users import (
    CreatedTokenOut,
    MeOut,
    NewToken,
    NewUser,
    TokenOut,
    UserChange,
    UserOut,
)

router = APIRouter(tags=["users"])
admin = APIRouter(prefix="/users", tags=["users"], dependencies=[requires(Role.ADMIN)])
_CONFLICT: dict[int | str, dict[str, Any]] = {
    409: {"model": ErrorResponse, "description": "The name is taken"},
    **refused("a CSM without csm_id, a user name or password out of bounds"),
}
_MISSING: dict[int | str, dict[str, Any]] = {
    404: {"model": ErrorResponse, "description": "No such user or token"},
    403: {"model": ErrorResponse, "description": "Not allowed (e.g. demoting yourself)"},
    **refused("a CSM without csm_id, a password out of bounds"),
}


def _user_out(user: u.User) -> UserOut:
    return UserOut(**{**asdict(user), "role": user.role.label})


def _token_out(token: t.ApiToken) -> TokenOut:
    return TokenOut(**asdict(token))


@router.get("/me", response_model=MeOut, summary="Who the caller is")
def me(principal: PrincipalDep) -> MeOut:
    return MeOut(
        username=principal.username,
        role=principal.role.label,
        via=principal.via,
        scope=principal.scope,
        csm_id=principal.csm_id,
        book=principal.book,
    )


@admin.get("", response_model=list[UserOut], summary="Users")
def list_users(cur: CursorDep) -> list[UserOut]:
    return [_user_out(user) for user in u.list_users(cur)]


@admin.post("", response_model=UserOut, status_code=201, summary="Add a user", responses=_CONFLICT)
async def add_user(cur: CursorDep, body: NewUser, actor: ActorDep) -> UserOut:
    user = await asyncio.to_thread(
        functools.partial(
            u.create_user,
            cur,
            body.username,
            Role.parse(body.role),
            body.password,
            body.csm_id,
            actor=actor,
        )
    )
    return _user_out(user)


@admin.patch("/{username}", response_model=UserOut, summary="Change a user", responses=_MISSING)
async def change_user(
    cur: CursorDep, principal: PrincipalDep, username: str, body: UserChange
) -> UserOut:
    """An admin cannot disable or demote themselves (another admin can): no lock-out."""
    actor = actor_name(principal)
    user = u.get_user(cur, username)
    demoted = body.role is not None and body.role != "admin"
    if user.user_id == principal.user_id and (body.disabled or demoted):
        raise PermissionDeniedError("you cannot disable or demote yourself; ask another admin")
    if body.role is not None or body.csm_id is not None:
        role = Role.parse(body.role) if body.role is not None else user.role
        user = u.set_role(cur, username, role, body.csm_id, actor=actor)
    if body.disabled is not None:
        user = u.set_disabled(cur, username, body.disabled, actor=actor)
    if body.password is not None:
        user = await asyncio.to_thread(
            functools.partial(u.reset_password, cur, username, body.password, actor=actor)
        )
    return _user_out(user)


@router.get("/tokens", response_model=list[TokenOut], summary="API tokens (admins: everyone's)")
def list_tokens(cur: CursorDep, principal: PrincipalDep) -> list[TokenOut]:
    mine = None if principal.allows(Role.ADMIN) else principal.username
    return [_token_out(token) for token in t.list_tokens(cur, mine)]


@router.post(
    "/tokens",
    response_model=CreatedTokenOut,
    status_code=201,
    summary="Create an API token",
    responses=_MISSING,
)
def create_token(cur: CursorDep, principal: PrincipalDep, body: NewToken) -> CreatedTokenOut:
    """The secret is in this answer only. A token never has more than its user's role."""
    owner = body.username or principal.username
    if owner != principal.username and not principal.allows(Role.ADMIN):
        raise PermissionDeniedError("only an admin creates tokens for other users")
    if principal.via == "server" and body.username is None:
        raise PermissionDeniedError("name the user the token belongs to (username)")
    if body.scope == "admin" and not principal.allows(Role.ADMIN):
        raise PermissionDeniedError("only an admin creates admin tokens")
    token, secret = t.create_token(cur, owner, body.name, body.scope, actor=actor_name(principal))
    return CreatedTokenOut(**_token_out(token).model_dump(), secret=secret)


@router.post(
    "/tokens/{token_id}/revoke", response_model=TokenOut, summary="Revoke an API token",
    responses=_MISSING,
)  # fmt: skip
def revoke_token(cur: CursorDep, principal: PrincipalDep, token_id: str) -> TokenOut:
    if not principal.allows(Role.ADMIN):
        mine = {token.token_id for token in t.list_tokens(cur, principal.username)}
        if token_id not in mine:
            raise NotFoundError(f"no API token {token_id!r} of yours")
    return _token_out(t.revoke_token(cur, token_id, actor=actor_name(principal)))


router.include_router(admin)
