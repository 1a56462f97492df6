"""``/plans``: every success plan with its status, off track first (docs/plans.md#pages).

Read as the API reads it (:func:`outsidein.plans.progress_of`); a CSM sees their own book.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from outsidein.plans import RULE, STATUSES, list_plans, progress_of, status_counts
from outsidein.web.access import BookDep
from outsidein.web.deps import CursorDep
from outsidein.web.params import AsOfParam
from outsidein.web.routes.plans import day_of
from outsidein.web.templating import templates

router = APIRouter(include_in_schema=False)


@router.get("/plans", response_class=HTMLResponse, name="plans_page")
def plans_page(
    request: Request, cur: CursorDep, book: BookDep, as_of: AsOfParam = None
) -> Response:
    day = day_of(as_of)
    rows = progress_of(cur, list_plans(cur, csm=book.csm(None)), day)
    names = dict(cur.execute(
        "SELECT account_id, name FROM accounts WHERE account_id IN "
        "(SELECT account_id FROM success_plans)").fetchall())  # fmt: skip
    counts = status_counts(rows)
    return templates.TemplateResponse(
        request,
        "plans.html",
        {"rows": rows, "names": names, "as_of": day, "counts": counts, "statuses": STATUSES,
         "rule": RULE},
    )  # fmt: skip
