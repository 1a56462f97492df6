"""``/outcomes`` and ``/outcomes/segments``: the opportunity landscape with its outcome
table and trends, and the needs segments' profiles (docs/jobs.md#pages).

They show what :mod:`outsidein.jobs.service` computes, as the API returns it.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from outsidein.auth.roles import Role
from outsidein.jobs.answers import waves
from outsidein.jobs.business import MIN_ACCOUNTS, churn_link
from outsidein.jobs.landscape import JobsQueryError, trends
from outsidein.jobs.scoring import MIN_RESPONDENTS
from outsidein.jobs.service import landscape, needs_segments
from outsidein.web.access import BookDep, PrincipalDep, requires
from outsidein.web.deps import ConfigDep, CursorDep
from outsidein.web.outcome_charts import landscape_chart
from outsidein.web.routes.outcomes import ByParam, GroupParam, SurveyParam
from outsidein.web.templating import templates

router = APIRouter(include_in_schema=False)

BY_NAMES = {"segment": "Account segment", "tier": "Touch tier", "needs": "Needs segment",
            "account": "Account"}  # fmt: skip


@router.get("/outcomes", response_class=HTMLResponse, name="outcomes_page",
            dependencies=[requires(Role.VIEWER)])  # fmt: skip
def outcomes_page(
    request: Request,
    cur: CursorDep,
    config: ConfigDep,
    book: BookDep,
    principal: PrincipalDep,
    by: ByParam = None,
    group: GroupParam = None,
    survey: SurveyParam = None,
) -> Response:
    notice = None
    if by == "needs" and not principal.allows(Role.MANAGER):
        by, notice = None, "Needs segments are fitted on every respondent: managers see them."
    try:
        found = landscape(cur, config, by=by, group=group, survey=survey,
                          csm=book.csm(None), db=request.app.state.db_path)  # fmt: skip
    except JobsQueryError as exc:
        if by != "needs":
            raise
        found = landscape(cur, config, survey=survey, csm=book.csm(None))
        notice = str(exc)
    moved = trends(cur) if principal.allows(Role.MANAGER) and survey is None else []
    # the link to the business: managers (it reads every account), the earliest wave
    links = churn_link(cur, config) if principal.allows(Role.MANAGER) and found.scores else []
    return templates.TemplateResponse(
        request,
        "outcomes.html",
        {
            "found": found,
            "landscape_spec": landscape_chart(found.scores, "Importance against satisfaction"),
            "waves": [w.survey for w in waves(cur)],
            "by_names": BY_NAMES,
            "trends": moved,
            "links": links,
            "min_accounts": MIN_ACCOUNTS,
            "notice": notice,
            "min_respondents": MIN_RESPONDENTS,
            "manager": principal.allows(Role.MANAGER),
        },
    )


@router.get("/outcomes/segments", response_class=HTMLResponse, name="outcome_segments_page",
            dependencies=[requires(Role.MANAGER)])  # fmt: skip
def segments_page(
    request: Request, cur: CursorDep, config: ConfigDep, survey: SurveyParam = None
) -> Response:
    found, notice = None, None
    try:
        found = needs_segments(cur, config, survey=survey, db=request.app.state.db_path)
    except JobsQueryError as exc:
        notice = str(exc)
    return templates.TemplateResponse(
        request,
        "outcome_segments.html",
        {
            "found": found,
            "notice": notice,
            "currency": config.analytics.reporting_currency,
            "waves": [w.survey for w in waves(cur)],
        },
    )
