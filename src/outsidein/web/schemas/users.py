"""What the users and API token endpoints take and answer."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, StrictBool

from outsidein.auth.roles import RoleName, ScopeName
from outsidein.web.schemas.types import UtcDatetime


class UserOut(BaseModel):
    user_id: str
    username: str
    role: RoleName
    csm_id: str | None
    disabled: bool
    created_at: UtcDatetime
    updated_at: UtcDatetime


class NewUser(BaseModel):
    model_config = ConfigDict(extra="forbid")

    username: str = Field(min_length=1, max_length=100)
    role: RoleName
    password: str = Field(min_length=10, max_length=1024)
    csm_id: str | None = Field(None, max_length=200, description="A CSM's book")


class UserChange(BaseModel):
    """What to change; omitted fields stay as they are."""

    model_config = ConfigDict(extra="forbid")

    role: RoleName | None = None
    csm_id: str | None = Field(None, max_length=200)
    disabled: StrictBool | None = None
    password: str | None = Field(None, min_length=10, max_length=1024)


class TokenOut(BaseModel):
    token_id: str
    username: str
    name: str
    scope: ScopeName
    created_at: UtcDatetime
    revoked_at: UtcDatetime | None


class NewToken(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=100)
    scope: ScopeName = "read"
    username: str | None = Field(
        None, max_length=100, description="Whose token (admins only; default: the caller)"
    )


class CreatedTokenOut(TokenOut):
    secret: str = Field(description="Shown once: send it as Authorization: Bearer <secret>")


class MeOut(BaseModel):
    username: str
    role: RoleName
    via: str
    scope: ScopeName | None
    csm_id: str | None
    book: str | None = Field(description="The CSM id whose accounts the caller sees; null: all")
