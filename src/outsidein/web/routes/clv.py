"""``/api/v1/clv``: every account's lifetime value as last scored, with the model family
chosen for it, the CLV page's figures (``clv.report``), the holdout check, and fits started
as jobs. The section's pipeline step ``clv`` rescores after new invoices, subscriptions or
contracts (``clv.step``). A CSM sees their own book (``BookDep``)."""

from __future__ import annotations

from dataclasses import asdict
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, FastAPI, Query, Request, Response

from outsidein.auth.roles import Role
from outsidein.clv import portfolio, report, saved
from outsidein.clv.step import ClvStep
from outsidein.errors import InvalidRequestError, NotFoundError
from outsidein.pipeline import Step, StepContext
from outsidein.web.access import BookDep, requires
from outsidein.web.background import with_steps
from outsidein.web.deps import ConfigDep, CursorDep
from outsidein.web.params import CsmParam, PageParam, PageSizeParam
from outsidein.web.routes.jobs import jobs_of
from outsidein.web.schemas.clv import (
    ClvFitIn,
    ClvHoldoutOut,
    ClvList,
    ClvOverviewOut,
    ClvScoreOut,
)
from outsidein.web.schemas.errors import ErrorResponse, refused
from outsidein.web.schemas.jobs import JobOut


def _steps(app: FastAPI) -> list[Step]:
    """Rescores CLV after new invoices, subscriptions or contracts (docs/clv.md)."""
    step = ClvStep(lambda: app.state.config.current.config.analytics)
    app.state.clv_step = step
    return [step.step(min_gap=2.0)]


router = APIRouter(tags=["clv"], lifespan=with_steps(_steps))
WeeksParam = Annotated[int, Query(ge=4, le=104, description="Holdout weeks")]
NOT_FOUND: dict[int | str, dict[str, Any]] = {
    404: {"model": ErrorResponse, "description": "No such account"}
}


@router.get(
    "/clv/accounts",
    response_model=ClvList,
    dependencies=[requires(Role.VIEWER)],
    responses=refused("a CSM asking for another book"),
    summary="Accounts by lifetime value, highest first",
)
def clv_accounts(
    cur: CursorDep,
    book: BookDep,
    csm: CsmParam = None,
    page: PageParam = 1,
    page_size: PageSizeParam = 50,
) -> ClvList:
    """The last scoring day's values; each names the family that gave it."""
    return ClvList.of(saved.latest(cur, csm=book.csm(csm)), page, page_size)


@router.get(
    "/clv/accounts/{account_id}",
    response_model=ClvScoreOut,
    dependencies=[requires(Role.VIEWER)],
    responses=NOT_FOUND,
    summary="One account's lifetime value",
)
def clv_account(cur: CursorDep, account_id: str) -> ClvScoreOut:
    """Its value and family; ``scored`` false when it has none (a subscriber who left, a
    prospect, or no scoring run yet: ``outsidein clv score``)."""
    known = cur.execute("SELECT 1 FROM accounts WHERE account_id = ?", [account_id]).fetchone()
    if known is None:
        raise NotFoundError(f"no account with account_id {account_id!r}", account_id=account_id)
    found = saved.latest(cur, account_id=account_id)
    if found.empty:
        return ClvScoreOut(account_id=account_id, scored=False)
    return ClvScoreOut.of(found.to_dict("records")[0])


@router.get(
    "/clv/overview",
    response_model=ClvOverviewOut,
    dependencies=[requires(Role.VIEWER)],
    responses=refused("a CSM asking for another book"),
    summary="The CLV page's figures: distribution, top accounts, P(alive), models, retention",
)
def clv_overview(cur: CursorDep, book: BookDep, csm: CsmParam = None) -> ClvOverviewOut:
    """From the last scoring day (``as_of`` null: nothing scored yet)."""
    return ClvOverviewOut.model_validate(asdict(report.overview(cur, csm=book.csm(csm))))


@router.get(
    "/clv/holdout",
    response_model=ClvHoldoutOut,
    dependencies=[requires(Role.VIEWER)],
    responses=refused("too few one-off buyers before the holdout"),
    summary="Predicted vs actual purchases over a holdout (BG/NBD)",
)
def clv_holdout(cur: CursorDep, weeks: WeeksParam = 26) -> ClvHoldoutOut:
    """Calibrated up to ``weeks`` before the last scoring day, compared with the purchases
    made since, in total and per calibration frequency."""
    as_of = report.scored_day(cur) or date.today()
    found = portfolio.holdout(cur, as_of, weeks)
    return ClvHoldoutOut(weeks=weeks, as_of=as_of, **found.as_dict())


@router.post(
    "/clv/fit",
    status_code=202,
    response_model=JobOut,
    dependencies=[requires(Role.MANAGER)],
    responses={
        **refused("as_of in the future"),
        429: {"model": ErrorResponse, "description": "Too many jobs waiting"},
    },
    summary="Fit the CLV models and score every account (a job)",
)
def start_fit(request: Request, response: Response, config: ConfigDep, body: ClvFitIn) -> JobOut:
    """202 with a job (status, cancel: ``/api/v1/jobs/{id}``); its ``result`` has each fit
    and the accounts scored (written back unless ``write`` is false)."""
    as_of = body.as_of or date.today()
    if as_of > date.today():
        raise InvalidRequestError(f"as_of {as_of} is in the future: no data is dated then")
    analytics = config.analytics

    def work(ctx: StepContext) -> dict[str, Any]:
        result = portfolio.score(
            ctx.cursor, analytics, as_of, body.discount, body.months, check=ctx.check
        )
        ctx.check()
        written = saved.save(ctx.cursor, result) if body.write else 0
        return {
            "as_of": as_of.isoformat(),
            "accounts": len(result.scores),
            "written": written,
            "fits": {name: fit.as_dict() for name, fit in result.fits.items()},
            "skipped": result.skipped,
        }

    params = {"as_of": as_of.isoformat(), "discount": body.discount, "months": body.months,
              "write": body.write}  # fmt: skip
    job = jobs_of(request.app).submit("clv-fit", work, params)
    response.headers["Location"] = f"/api/v1/jobs/{job.id}"
    return JobOut.of(job)
