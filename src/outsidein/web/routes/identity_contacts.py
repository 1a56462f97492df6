"""``/api/v1/identity/contacts``: contacts that look like one person, and links between them.

The same operations as ``outsidein contacts duplicates|link|unlink`` (docs/identity.md):
suggestions are computed from the data (the same email, or the same name at one domain or
in one account), a link merges one contact into another (undoable), a rejection is
remembered. Every decision is audited with the signed-in actor; managers and admins decide.
"""

from __future__ import annotations

import asyncio
from typing import Annotated

from fastapi import APIRouter, FastAPI, Query, Request
from pydantic import BaseModel, Field

from outsidein.auth.roles import Role
from outsidein.identity import (
    ContactMerge,
    contact_suggestions,
    link_contacts,
    reject_contacts,
    undo_contact_merge,
    unlink_contact_id,
)
from outsidein.web.access import ActorDep, requires
from outsidein.web.background import pipeline_of
from outsidein.web.deps import CursorDep
from outsidein.web.routes.identity import ERRORS, ID

router = APIRouter(
    prefix="/identity/contacts", tags=["identity"], dependencies=[requires(Role.MANAGER)]
)
# The tables a contact merge may change: what reads them catches up.
CHANGED = ("contacts", "touchpoints", "cases", "survey_responses")


class ContactSuggestionOut(BaseModel):
    contact_id: str
    contact_name: str | None
    contact_email: str | None
    contact_account: str
    other_id: str
    other_name: str | None
    other_email: str | None
    other_account: str
    method: str = Field(description="email, name+domain or name+account")
    key: str = Field(description="The normalised email, or name and domain (account), shared")
    contact_systems: list[str]
    other_systems: list[str]


class ContactSuggestionsOut(BaseModel):
    items: list[ContactSuggestionOut]


class ContactPairIn(BaseModel):
    contact_id: str = ID
    other_id: str = ID


class ContactLinkOut(BaseModel):
    contact_id: str
    merged_id: str
    moved: dict[str, int] = Field(description="Rows moved to the kept contact, per table")


class ContactUnlinkOut(BaseModel):
    contact_id: str = Field(description="The contact the id no longer belongs to")


def changed(app: FastAPI) -> None:
    pipeline = pipeline_of(app)
    for table in CHANGED:
        pipeline.mark(table)


def _out(merge: ContactMerge) -> ContactLinkOut:
    return ContactLinkOut(
        contact_id=merge.contact_id,
        merged_id=merge.merged_id,
        moved={name: len(keys) for name, keys in merge.moved.items()},
    )


@router.get("/duplicates", response_model=ContactSuggestionsOut,
            summary="Contacts that look like one person")  # fmt: skip
def get_duplicates(
    cur: CursorDep, limit: Annotated[int, Query(ge=1, le=10_000)] = 200
) -> ContactSuggestionsOut:
    items = [s.__dict__ for s in contact_suggestions(cur, limit)]
    return ContactSuggestionsOut.model_validate({"items": items})


@router.post("/links", response_model=ContactLinkOut, status_code=201, responses=ERRORS,
             summary="Merge other_id into contact_id")  # fmt: skip
async def post_link(request: Request, pair: ContactPairIn, actor: ActorDep) -> ContactLinkOut:
    app: FastAPI = request.app

    def run() -> ContactMerge:
        cur = app.state.store.cursor()
        try:
            return link_contacts(cur, pair.contact_id, pair.other_id, actor)
        finally:
            cur.close()

    merge = await asyncio.to_thread(run)
    changed(app)
    return _out(merge)


@router.post("/rejections", response_model=ContactPairIn, status_code=201, responses=ERRORS,
             summary="Two contacts are different people: never suggest them")  # fmt: skip
def post_rejection(pair: ContactPairIn, cur: CursorDep, actor: ActorDep) -> ContactPairIn:
    reject_contacts(cur, pair.contact_id, pair.other_id, actor)
    return pair


@router.delete("/links/{merged_id}", response_model=ContactLinkOut, responses=ERRORS,
               summary="Undo a contact merge: the merged contact back, with its rows")  # fmt: skip
async def delete_link(request: Request, merged_id: str, actor: ActorDep) -> ContactLinkOut:
    app: FastAPI = request.app

    def run() -> ContactMerge:
        cur = app.state.store.cursor()
        try:
            return undo_contact_merge(cur, merged_id, actor)
        finally:
            cur.close()

    merge = await asyncio.to_thread(run)
    changed(app)
    return _out(merge)


@router.delete("/external-ids/{system}/{external_id}", response_model=ContactUnlinkOut,
               responses=ERRORS, summary="Forget one external id of a contact")  # fmt: skip
def delete_external_id(
    system: str, external_id: str, cur: CursorDep, actor: ActorDep
) -> ContactUnlinkOut:
    return ContactUnlinkOut(contact_id=unlink_contact_id(cur, system, external_id, actor))
