"""``/api/v1/identity``: accounts that look alike, and links between them (docs/identity.md).

The same operations as ``outsidein accounts duplicates|link|unlink``: suggestions are
computed from the data (same normalised name or domain), a link merges one account into
another (undoable), a rejection is remembered. Every decision is audited with the signed-in
actor. Managers and admins decide; the pipeline is told which tables changed.
"""

from __future__ import annotations

import asyncio
from typing import Annotated

from fastapi import APIRouter, FastAPI, Query, Request
from pydantic import BaseModel, Field

from outsidein.auth.roles import Role
from outsidein.identity import link, reject, suggestions, undo_merge, unlink_id
from outsidein.identity.link import Merge
from outsidein.store.tables import TABLES
from outsidein.web.access import ActorDep, requires
from outsidein.web.background import pipeline_of
from outsidein.web.deps import CursorDep
from outsidein.web.schemas.errors import ErrorResponse

router = APIRouter(prefix="/identity", tags=["identity"], dependencies=[requires(Role.MANAGER)])
ID = Field(min_length=1, max_length=500)


class SuggestionOut(BaseModel):
    account_id: str
    account_name: str
    other_id: str
    other_name: str
    method: str = Field(description="domain or name")
    key: str = Field(description="The normalised domain or name both have")
    account_systems: list[str]
    other_systems: list[str]


class SuggestionsOut(BaseModel):
    items: list[SuggestionOut]


class PairIn(BaseModel):
    account_id: str = ID
    other_id: str = ID


class LinkOut(BaseModel):
    account_id: str
    merged_id: str
    moved: dict[str, int] = Field(description="Rows moved to the kept account, per table")


class UnlinkOut(BaseModel):
    account_id: str = Field(description="The account the id no longer belongs to")


ERRORS: dict[int | str, dict[str, object]] = {
    404: {"model": ErrorResponse, "description": "No such account or link"},
    409: {"model": ErrorResponse, "description": "The same account twice"},
}


@router.get("/duplicates", response_model=SuggestionsOut, summary="Accounts that look alike")
def get_duplicates(
    cur: CursorDep, limit: Annotated[int, Query(ge=1, le=10_000)] = 200
) -> SuggestionsOut:
    return SuggestionsOut.model_validate({"items": [s.__dict__ for s in suggestions(cur, limit)]})


def changed(app: FastAPI) -> None:
    """Every table that names accounts may have changed: what reads them catches up."""
    pipeline = pipeline_of(app)
    for table in TABLES.values():
        if any(c.references == "accounts.account_id" for c in table.columns):
            pipeline.mark(table.name)
    pipeline.mark("accounts")


def _out(merge: Merge) -> LinkOut:
    return LinkOut(
        account_id=merge.account_id,
        merged_id=merge.merged_id,
        moved={name: len(keys) for name, keys in merge.moved.items()},
    )


@router.post("/links", response_model=LinkOut, status_code=201, responses=ERRORS,
             summary="Merge other_id into account_id")  # fmt: skip
async def post_link(request: Request, pair: PairIn, actor: ActorDep) -> LinkOut:
    app: FastAPI = request.app

    def run() -> Merge:
        cur = app.state.store.cursor()
        try:
            return link(cur, pair.account_id, pair.other_id, actor)
        finally:
            cur.close()

    merge = await asyncio.to_thread(run)
    changed(app)
    return _out(merge)


@router.post("/rejections", response_model=PairIn, status_code=201, responses=ERRORS,
             summary="Two accounts are different customers: never suggest them")  # fmt: skip
def post_rejection(pair: PairIn, cur: CursorDep, actor: ActorDep) -> PairIn:
    reject(cur, pair.account_id, pair.other_id, actor)
    return pair


@router.delete("/links/{merged_id}", response_model=LinkOut, responses=ERRORS,
               summary="Undo a merge: the merged account back, with its rows")  # fmt: skip
async def delete_link(request: Request, merged_id: str, actor: ActorDep) -> LinkOut:
    app: FastAPI = request.app

    def run() -> Merge:
        cur = app.state.store.cursor()
        try:
            return undo_merge(cur, merged_id, actor)
        finally:
            cur.close()

    merge = await asyncio.to_thread(run)
    changed(app)
    return _out(merge)


@router.delete("/external-ids/{system}/{external_id}", response_model=UnlinkOut,
               responses=ERRORS, summary="Forget one external id of an account")  # fmt: skip
def delete_external_id(system: str, external_id: str, cur: CursorDep, actor: ActorDep) -> UnlinkOut:
    return UnlinkOut(account_id=unlink_id(cur, system, external_id, actor))
