"""``/api/v1/health``: scores, one account's score explained, overrides, scorecards, backtests.

Every number is read from the history (:mod:`outsidein.health.read`), which the section's
pipeline step (:func:`outsidein.health.service.health_step`) keeps current while the server
runs. Scorecards are the ``[health]`` section of the versioned configuration: a PUT stores a
new version, which the step rescored every account with. A backtest is a job.
"""

from __future__ import annotations

from dataclasses import asdict
from datetime import UTC, date, datetime
from typing import Annotated, Any

from fastapi import APIRouter, FastAPI, Query, Request, Response
from pydantic import ValidationError
from pydantic_core import to_jsonable_python

from outsidein.auth.roles import Role
from outsidein.errors import InvalidRequestError
from outsidein.health import read, service
from outsidein.pipeline import Step, StepContext
from outsidein.settings.health import HealthConfig
from outsidein.store.config_versions import current_config_version
from outsidein.web.access import BookDep, PrincipalDep, requires
from outsidein.web.background import pipeline_of, with_steps
from outsidein.web.deps import ConfigDep, CursorDep, ServerConfig
from outsidein.web.params import IsoDatetime, PageParam, PageSizeParam
from outsidein.web.queries import health as health_queries
from outsidein.web.routes.jobs import jobs_of
from outsidein.web.schemas.errors import ErrorResponse, refused
from outsidein.web.schemas.health import (
    AccountHealthOut,
    BacktestIn,
    OverrideIn,
    OverrideOut,
    ScorecardsOut,
    ScoreList,
    ValidationOut,
)
from outsidein.web.schemas.health_portfolio import PortfolioOut
from outsidein.web.schemas.jobs import JobOut


def _steps(app: FastAPI) -> list[Step]:
    """Keeps health scores current while the server runs (docs/health-data.md#the-step)."""
    step = service.health_step(lambda: app.state.config.current.config)
    app.state.health_step = step
    return [step.step(min_gap=1.0)]


router = APIRouter(prefix="/health", tags=["health"], lifespan=with_steps(_steps))

AtParam = Annotated[
    IsoDatetime | None, Query(description="A past time (UTC) to read the score at [now]")
]
Label = Annotated[str | None, Query(min_length=1, max_length=80)]
NOT_FOUND: dict[int | str, dict[str, Any]] = {
    404: {"model": ErrorResponse, "description": "No such account, or no score for it"}
}


def _at(at: datetime | None) -> datetime:
    now = datetime.now(UTC).replace(tzinfo=None)
    if at is None:
        return now
    naive = at.astimezone(UTC).replace(tzinfo=None) if at.tzinfo else at
    return min(naive, now)


@router.get(
    "/scores",
    response_model=ScoreList,
    responses=refused("a CSM asking for another book"),
    summary="Every account's score, lowest first",
)
def scores(
    cur: CursorDep,
    book: BookDep,
    band: Label = None,
    scorecard: Label = None,
    csm: Label = None,
    at: AtParam = None,
    page: PageParam = 1,
    page_size: PageSizeParam = 50,
) -> ScoreList:
    """The effective score (an active override standing in) of each account at ``at``;
    ``band``, ``scorecard`` and ``csm`` filter (any case); a CSM sees their own book."""
    when = _at(at)
    found = read.list_scores(
        cur, when, band=band, scorecard=scorecard, csm=book.csm(csm), page=page,
        page_size=page_size,
    )  # fmt: skip
    return ScoreList.of(found, when)


@router.get(
    "/portfolio",
    response_model=PortfolioOut,
    responses=refused("a CSM asking for another book"),
    summary="Customers by band, segment and tier, ARR at risk, the week's movers",
)
def portfolio(cur: CursorDep, book: BookDep, config: ConfigDep, csm: Label = None) -> PortfolioOut:
    """What the /health page draws: customers (neither prospects nor churned) on the report
    day by band, segment and touch tier, ARR at risk by band and renewal window, and the
    week's biggest movers; a CSM sees their own book."""
    return PortfolioOut.of(
        health_queries.portfolio(cur, config.analytics, config.health, csm=book.csm(csm))
    )


@router.get(
    "/accounts/{account_id}",
    response_model=AccountHealthOut,
    responses=NOT_FOUND,
    summary="One account's score, why, what moved, and its trend",
)
def account(
    cur: CursorDep, config: ConfigDep, account_id: str, at: AtParam = None
) -> AccountHealthOut:
    """Each measure's raw value, points, weight and contribution; what moved since the
    previous score, in words; the score's steps over the 90 days to ``at``."""
    found = read.account_health(cur, account_id, config.health, at=_at(at))
    return AccountHealthOut.of(found)


@router.post(
    "/accounts/{account_id}/overrides",
    response_model=OverrideOut,
    status_code=201,
    dependencies=[requires(Role.CSM)],
    responses={
        **NOT_FOUND,
        **refused("no score nor band, a band the scorecard lacks, expiry past or > 366 days"),
    },
    summary="Override an account's score by hand",
)
def add_override(
    cur: CursorDep, config: ConfigDep, principal: PrincipalDep, account_id: str, body: OverrideIn
) -> OverrideOut:
    """The signed-in user is its author; it is part of the account's history and ends at
    ``expires_at``."""
    expires = body.expires_at
    if expires.tzinfo is not None:
        expires = expires.astimezone(UTC).replace(tzinfo=None)
    made = service.override(
        cur, config.health, account_id, reason=body.reason, author=principal.username,
        expires_at=expires, score=body.score, band=body.band,
    )  # fmt: skip
    return OverrideOut.of(made)


@router.get("/scorecards", response_model=ScorecardsOut, summary="The scorecards in force")
def scorecards(cur: CursorDep, config: ConfigDep) -> ScorecardsOut:
    return ScorecardsOut(version=current_config_version(cur), health=config.health)


def _validate(body: Any) -> tuple[HealthConfig | None, list[dict[str, Any]]]:
    try:
        return HealthConfig.model_validate(body), []
    except ValidationError as exc:
        errors = [
            {"field": ".".join(str(p) for p in e["loc"]), "message": e["msg"]}
            for e in exc.errors(include_url=False, include_input=False)
        ]
        return None, errors


@router.post(
    "/scorecards/validate",
    response_model=ValidationOut,
    dependencies=[requires(Role.ADMIN)],
    summary="Check a draft [health] section without storing it",
)
def validate(body: dict[str, Any]) -> ValidationOut:
    _, errors = _validate(body)
    return ValidationOut(valid=not errors, errors=errors)


@router.put(
    "/scorecards",
    response_model=ScorecardsOut,
    dependencies=[requires(Role.ADMIN)],
    responses={422: {"model": ErrorResponse, "description": "Invalid scorecards"}},
    summary="Publish scorecards (a new configuration version)",
)
def publish(
    request: Request, cur: CursorDep, principal: PrincipalDep, body: HealthConfig
) -> ScorecardsOut:
    """Stored as a new version of the whole configuration; old scores keep the version that
    produced them, and the pipeline rescored every account with the new one."""
    server: ServerConfig = request.app.state.config
    current = server.current.config
    stored = server.replace(
        cur, current.model_copy(update={"health": body}), f"PUT /api/v1/health/scorecards by "
        f"{principal.username}",
    )  # fmt: skip
    pipeline_of(request.app).mark("config_versions")  # the health step rescored everyone
    return ScorecardsOut(version=stored.version, health=stored.config.health)


@router.post(
    "/backtest",
    status_code=202,
    response_model=JobOut,
    dependencies=[requires(Role.MANAGER)],
    responses={
        **refused("as_of in the future"),
        429: {"model": ErrorResponse, "description": "Too many jobs waiting"},
    },
    summary="Backtest a draft beside the published scorecards (a job)",
)
def start_backtest(
    request: Request, response: Response, config: ConfigDep, body: BacktestIn
) -> JobOut:
    """202 with a job; its ``result`` has ``draft`` and ``published`` reports (AUC, lift in
    the lowest decile, loss rate by band, inputs left out)."""
    as_of = body.as_of or date.today()
    if as_of > date.today():
        raise InvalidRequestError(f"as_of {as_of} is in the future: outcomes are not known yet")
    published = config.health
    draft = body.draft or published
    analytics, journey = config.analytics, config.journey

    def work(ctx: StepContext) -> dict[str, Any]:
        found = service.compare(
            ctx.cursor, draft, published, as_of, months=body.months,
            horizon_days=body.horizon_days, config=analytics, check=ctx.check, journey=journey,
        )  # fmt: skip
        return {name: to_jsonable_python(asdict(report)) for name, report in found.items()}

    params = {"as_of": as_of.isoformat(), "months": body.months, "draft": body.draft is not None}
    job = jobs_of(request.app).submit("health-backtest", work, params)
    response.headers["Location"] = f"/api/v1/jobs/{job.id}"
    return JobOut.of(job)
