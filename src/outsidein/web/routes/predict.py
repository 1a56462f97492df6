"""``/api/v1/predict``: model versions, training (a job), publishing through the guard,
reports, and every account's churn risk and expansion propensity (docs/predict.md#api).

Scoring runs in the pipeline (the ``predict`` step) once a version is published; training is
long work a manager asks for. A CSM sees their own book (``BookDep``).
"""

from __future__ import annotations

import dataclasses
from typing import Annotated, Any

from fastapi import APIRouter, FastAPI, Path, Query, Request, Response
from fastapi.responses import HTMLResponse

from outsidein.auth.roles import Role
from outsidein.pipeline import StepContext
from outsidein.predict import report, scores, service, versions
from outsidein.predict.step import predict_step
from outsidein.web.access import ActorDep, BookDep, requires
from outsidein.web.background import pipeline_of, with_steps
from outsidein.web.deps import ConfigDep, CursorDep
from outsidein.web.params import CsmParam
from outsidein.web.routes.jobs import jobs_of
from outsidein.web.schemas.errors import ErrorResponse
from outsidein.web.schemas.jobs import JobOut
from outsidein.web.schemas.predict import (
    AccountPredictionOut,
    ModelOut,
    PredictionOut,
    PublishIn,
    SummaryOut,
    TargetName,
    TrainIn,
)


def _steps(app: FastAPI) -> list[Any]:
    return [
        predict_step(
            lambda: app.state.config.current.config.analytics,
            journey=lambda: app.state.config.current.config.journey,
        )
    ]


router = APIRouter(prefix="/predict", tags=["predict"], lifespan=with_steps(_steps))
Version = Annotated[int, Path(ge=1, le=2_000_000_000)]
NOT_FOUND: dict[int | str, dict[str, Any]] = {
    404: {"model": ErrorResponse, "description": "No such model version or account"}
}
BUSY: dict[int | str, dict[str, Any]] = {
    429: {"model": ErrorResponse, "description": "Too many jobs waiting"}
}


@router.post(
    "/train",
    status_code=202,
    response_model=JobOut,
    dependencies=[requires(Role.MANAGER)],
    responses=BUSY,
    summary="Train, backtest and publish a model version (a job)",
)
def start_training(
    request: Request, response: Response, body: TrainIn, config: ConfigDep, actor: ActorDep
) -> JobOut:
    """202 with a job. Its ``result``: the version, its backtest AUC, whether it was
    published, and ``refused`` (the guard's message with both AUCs) when it was not. Below
    the minimum of labelled examples the job fails saying to rank by the health score."""
    analytics = config.analytics
    scheduler = pipeline_of(request.app)

    def work(ctx: StepContext) -> dict[str, Any]:
        run = service.train_version(
            ctx.cursor,
            service.parse_target(body.target),
            observations=body.observations,
            folds=body.folds,
            horizon_days=body.horizon_days,
            by_renewal=body.by_renewal,
            static=body.static,
            force=body.force,
            trained_by=actor,
            config=analytics,
            check=ctx.check,
            journey=config.journey,
        )
        scheduler.mark("predict_models", urgent=True)  # the step scores with it
        return dataclasses.asdict(run)

    job = jobs_of(request.app).submit("predict-train", work, body.model_dump())
    response.headers["Location"] = f"/api/v1/jobs/{job.id}"
    return JobOut.of(job)


@router.get(
    "/models",
    response_model=list[ModelOut],
    dependencies=[requires(Role.VIEWER)],
    summary="Model versions, newest first",
)
def list_models(cur: CursorDep, target: TargetName | None = None) -> list[ModelOut]:
    return [ModelOut.of(v) for v in versions.list_versions(cur, target)]


@router.get(
    "/models/{version}",
    response_model=ModelOut,
    responses=NOT_FOUND,
    dependencies=[requires(Role.VIEWER)],
    summary="One model version",
)
def get_model(cur: CursorDep, version: Version) -> ModelOut:
    return ModelOut.of(versions.get_version(cur, version))


@router.get(
    "/models/{version}/report",
    response_class=HTMLResponse,
    responses={
        200: {
            "description": "The report",
            "content": {"text/html": {"schema": {"type": "string"}}},
        },
        404: {
            "description": "No such model version",
            "content": {
                "application/json": {"schema": {"$ref": "#/components/schemas/ErrorResponse"}}
            },
        },
    },
    dependencies=[requires(Role.VIEWER)],
    summary="A version's HTML report (offline)",
)
def model_report(cur: CursorDep, version: Version) -> HTMLResponse:
    """Backtest AUC and PR-AUC per fold, lift and gain, calibration, feature importance and
    the drift of the score distribution: one self-contained file."""
    return HTMLResponse(
        versions.report_html(cur, version), headers={"Content-Security-Policy": report.CSP}
    )


@router.post(
    "/models/{version}/publish",
    response_model=ModelOut,
    dependencies=[requires(Role.MANAGER)],
    responses={
        **NOT_FOUND,
        409: {
            "model": ErrorResponse,
            "description": "Refused: its "
            "backtest is worse than the published version's (force publishes it)",
        },
    },
    summary="Publish a version (the guard refuses a worse backtest unless forced)",
)
def publish_model(request: Request, cur: CursorDep, version: Version, body: PublishIn) -> ModelOut:
    found = versions.publish(cur, version, force=body.force)
    pipeline_of(request.app).mark("predict_models", urgent=True)
    return ModelOut.of(found)


@router.get(
    "/accounts",
    response_model=list[PredictionOut],
    dependencies=[requires(Role.VIEWER)],
    summary="The latest predictions, highest first",
)
def list_predictions(
    cur: CursorDep,
    book: BookDep,
    target: TargetName = "churn",
    csm: CsmParam = None,
    limit: Annotated[int, Query(ge=1, le=10_000)] = 100,
) -> list[PredictionOut]:
    rows = scores.latest(cur, target, csm=book.csm(csm), limit=limit)
    return [PredictionOut.model_validate(r) for r in rows]


@router.get(
    "/accounts/{account_id}",
    response_model=AccountPredictionOut,
    responses=NOT_FOUND,
    dependencies=[requires(Role.VIEWER)],
    summary="One account's risk and drivers",
)
def account_prediction(cur: CursorDep, account_id: str) -> AccountPredictionOut:
    """Its latest probability per target with the drivers in words, and the trend."""
    found = service.explain_account(cur, account_id)
    return AccountPredictionOut.model_validate(dataclasses.asdict(found))


@router.get(
    "/summary",
    response_model=SummaryOut,
    dependencies=[requires(Role.VIEWER)],
    summary="Risk distribution, ARR at risk by renewal month, drivers by segment",
)
def prediction_summary(cur: CursorDep, book: BookDep, csm: CsmParam = None) -> SummaryOut:
    return SummaryOut.model_validate(dataclasses.asdict(scores.summary(cur, csm=book.csm(csm))))
