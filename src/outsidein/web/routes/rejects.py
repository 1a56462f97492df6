"""``/api/v1/rejects``: the rows file loads refused, per load, by field and reason with the fix.

The same queries as ``outsidein rejects`` and the Rejects pages
(:mod:`outsidein.ingest.rejects`). Reading is open like the rest of the API; clearing, a write,
is accepted only from the server's own machine, like editing the configuration.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request

from outsidein.auth.roles import Role
from outsidein.ingest.rejects import (
    Cleared,
    RejectDetail,
    RejectLoadList,
    clear_rejects,
    list_reject_loads,
    load_rejects,
)
from outsidein.web.access import requires
from outsidein.web.deps import CursorDep
from outsidein.web.params import PageParam, PageSizeParam
from outsidein.web.schemas.errors import ErrorResponse, refused

# Rejects hold raw rows of any book's files: managers and admins read them, admins clear them.
router = APIRouter(prefix="/rejects", tags=["rejects"], dependencies=[requires(Role.MANAGER)])

KindParam = Annotated[
    str | None, Query(max_length=40, description="Only loads of this kind (accounts, ...).")
]
FileParam = Annotated[
    str | None,
    Query(
        min_length=1,
        max_length=4096,
        description="Only loads of this file: the name it was loaded under, or its last part.",
    ),
]
LoadIdParam = Annotated[
    str, Path(min_length=1, max_length=100, description="A load id, or its first characters.")
]
_NOT_FOUND: dict[int | str, dict[str, Any]] = {
    404: {"model": ErrorResponse, "description": "No such load"}
}
_LOCAL: dict[int | str, dict[str, Any]] = {
    403: {"model": ErrorResponse, "description": "Only an admin clears rejects"}
}


@router.get(
    "",
    response_model=RejectLoadList,
    summary="Loads with rejects, counted by field and reason",
    responses=refused("an unknown kind"),
)
def rejects_list(
    cur: CursorDep,
    kind: KindParam = None,
    file: FileParam = None,
    page: PageParam = 1,
    page_size: PageSizeParam = 20,
) -> RejectLoadList:
    """Newest first; each load's problems grouped by field and reason, with the fix."""
    return list_reject_loads(cur, kind=kind, file=file, page=page, page_size=page_size)


@router.get(
    "/{load_id}",
    response_model=RejectDetail,
    summary="One load's rejects, line by line",
    responses={**_NOT_FOUND, **refused("a load id prefix that matches several loads")},
)
def rejects_of_load(
    cur: CursorDep,
    load_id: LoadIdParam,
    column: Annotated[
        str | None,
        Query(max_length=200, description="Only this field's problems ('' for unreadable lines)."),
    ] = None,
    page: PageParam = 1,
    page_size: PageSizeParam = 100,
) -> RejectDetail:
    """``load_id`` may be the first characters (4 or more) of one load's id."""
    return load_rejects(cur, load_id, column=column, page=page, page_size=page_size)


@router.delete(
    "/{load_id}",
    response_model=Cleared,
    summary="Delete one load's rejects",
    responses={**_NOT_FOUND, **_LOCAL},
    dependencies=[requires(Role.ADMIN)],
)
def clear_load(request: Request, cur: CursorDep, load_id: LoadIdParam) -> Cleared:
    """The load log keeps the load and its counts."""
    return clear_rejects(cur, load_id=load_id)


@router.delete(
    "",
    response_model=Cleared,
    summary="Delete the rejects of every load of a file",
    responses={404: {"model": ErrorResponse, "description": "No rejects of that file"}, **_LOCAL},
    dependencies=[requires(Role.ADMIN)],
)
def clear_file(
    request: Request,
    cur: CursorDep,
    file: Annotated[str, Query(min_length=1, max_length=4096, description="The file")],
) -> Cleared:
    return clear_rejects(cur, file=file)
