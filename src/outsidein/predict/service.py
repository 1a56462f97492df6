"""Train a version, publish it through the guard, score every account with the published ones.

The one path every interface takes (CLI, API job, pipeline step, demo): :func:`train_version`
builds the dataset (:mod:`.dataset`), backtests it (:mod:`.backtest`), fits the model to
publish, writes its report (:mod:`.report`) and stores the version (:mod:`.versions`);
:func:`score_accounts` writes each paying account's probability and drivers for every target
with a published model (:mod:`.scores`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import date, timedelta
from typing import Any, cast

import duckdb
import numpy as np
import pandas as pd

from outsidein.errors import InvalidRequestError, NotFoundError
from outsidein.predict import report, scores, versions
from outsidein.predict.backtest import BacktestResult, backtest, train
from outsidein.predict.dataset import TARGETS, Dataset, Target, build_dataset, observation_days
from outsidein.predict.explain import top_drivers
from outsidein.predict.features import features_at
from outsidein.predict.model import Fitted
from outsidein.settings.analytics import AnalyticsConfig
from outsidein.settings.journey import JourneyConfig

__all__ = [
    "ScoreRun",
    "TrainRun",
    "build_dataset",
    "explain_account",
    "last_snapshot_day",
    "observation_days",
    "parse_target",
    "score_accounts",
    "train_targets",
    "train_version",
]

Check = Callable[[], None]
IMPORTANCE_ROWS = 2000


@dataclass
class TrainRun:
    """What a training run stored, and whether it was published (``refused``: the guard's
    message when it was not)."""

    version: int
    target: str
    auc: float | None
    published: bool
    refused: str | None = None
    rows: int = 0


@dataclass
class ScoreRun:
    day: date
    accounts: dict[str, int] = field(default_factory=dict)  # per target: accounts scored
    versions: dict[str, int] = field(default_factory=dict)


def parse_target(value: str) -> Target:
    if value not in TARGETS:
        raise InvalidRequestError(f"target must be one of {', '.join(TARGETS)}, not {value!r}")
    return value


def last_snapshot_day(con: duckdb.DuckDBPyConnection) -> date:
    row = con.execute("SELECT max(date) FROM account_daily_metrics").fetchone()
    if row is None or row[0] is None:
        raise NotFoundError("no daily snapshot yet: load data and run `outsidein metrics snapshot`")
    return cast(date, row[0])


def _metrics(bt: BacktestResult) -> dict[str, Any]:
    return {
        "folds": [{**asdict(f), "day": f.day.isoformat()} for f in bt.folds],
        "auc": bt.auc,
        "pr_auc": bt.pr_auc,
        "logistic_auc": bt.logistic_auc,
        "brier": bt.brier,
        "ece": bt.ece,
        "base_rate": bt.base_rate,
        "curve": [asdict(b) for b in bt.curve],
    }


def _importance(model: Fitted, frame: pd.DataFrame) -> dict[str, float]:
    """Mean absolute share of the logit per feature, on a sample of the training rows."""
    sample = frame.sample(min(len(frame), IMPORTANCE_ROWS), random_state=0)
    contrib = model.contributions(sample).abs().mean().sort_values(ascending=False)
    return {str(k): float(v) for k, v in contrib.items()}


def train_version(
    con: duckdb.DuckDBPyConnection,
    target: Target,
    *,
    observations: int = 18,
    folds: int = 4,
    horizon_days: int = 90,
    static: Sequence[str] = (),
    force: bool = False,
    publish: bool = True,
    trained_by: str = "cli",
    config: AnalyticsConfig | None = None,
    check: Check = lambda: None,
    dataset: Dataset | None = None,
    journey: JourneyConfig | None = None,
    by_renewal: bool = False,
) -> TrainRun:
    """Build, backtest, fit, report and store a version of ``target``; publish it unless the
    guard refuses (then it is stored unpublished and ``refused`` says why).

    Below the minimum of labelled examples :class:`~.dataset.NotEnoughExamplesError` says to
    rank by the health score instead. ``dataset`` reuses one built for another target.
    ``by_renewal``: labels read on each account's next renewal within the horizon.
    """
    if dataset is None:
        days = observation_days(last_snapshot_day(con), observations)
        dataset = build_dataset(
            con, days, horizon_days=horizon_days, static=static, config=config, check=check,
            journey=journey, by_renewal=by_renewal,
        )  # fmt: skip
    check()
    bt = backtest(dataset, target, folds=folds)
    check()
    model = train(dataset, target)
    labelled = dataset.labelled(target)
    known_days = dataset.frame["day"][labelled]
    newest = dataset.frame["day"] == dataset.frame["day"].max()
    current = model.predict(_known_levels(dataset.features[newest].copy(), model))
    importance = _importance(model, dataset.features[labelled])
    used = set(model.schema.numeric + model.schema.categorical)
    waiting = [str(c) for c in dataset.features.columns if c not in used]
    params = {
        "observations": observations,
        "folds": folds,
        "static": list(dataset.static),
        "by_renewal": dataset.by_renewal,
        "blend_weight": model.weight,
        "calibration": model.calibrator.method,
        "features": list(model.schema.numeric + model.schema.categorical),
        "waiting_for_history": waiting,
    }
    metrics = _metrics(bt)
    rows = int(labelled.sum())
    positives = int(dataset.labels[target][labelled].sum())
    window = (min(known_days), max(known_days))
    html = report.render(
        report.ReportInput(
            target=target,
            horizon_days=dataset.horizon_days,
            window=window,
            rows=rows,
            positives=positives,
            backtest=bt,
            importance=importance,
            static=dataset.static,
            current=np.asarray(current),
            current_day=max(dataset.frame["day"]),
            blend_weight=model.weight,
            waiting=waiting,
            by_renewal=dataset.by_renewal,
        )
    )
    version = versions.save_version(
        con,
        target=target,
        horizon_days=dataset.horizon_days,
        window=window,
        rows=rows,
        positives=positives,
        params=params,
        metrics=metrics,
        model=model,
        report=html,
        trained_by=trained_by,
    )
    run = TrainRun(version, target, bt.auc, False, rows=rows)
    if publish:
        try:
            versions.publish(con, version, force=force)
            run.published = True
        except versions.PublishRefusedError as exc:
            run.refused = exc.message
    return run


def train_targets(
    con: duckdb.DuckDBPyConnection,
    targets: Sequence[Target] = ("churn", "expansion"),
    *,
    observations: int = 18,
    folds: int = 4,
    config: AnalyticsConfig | None = None,
    journey: JourneyConfig | None = None,
) -> tuple[list[TrainRun], ScoreRun]:
    """Train each target on one dataset, then score every account: what ``outsidein demo``
    runs."""
    days = observation_days(last_snapshot_day(con), observations)
    data = build_dataset(con, days, config=config, journey=journey)
    runs = [
        train_version(con, t, observations=observations, folds=folds, dataset=data) for t in targets
    ]
    return runs, score_accounts(con, config=config, journey=journey)


def _known_levels(x: pd.DataFrame, model: Fitted) -> pd.DataFrame:
    """Categories the model never saw in training (a new tier, a new status) as missing."""
    for name in model.schema.categorical:
        if name in x.columns:
            text = x[name].astype("object")
            x[name] = text.where(text.isin(model.schema.levels[name]), None)
    return x


def score_accounts(
    con: duckdb.DuckDBPyConnection,
    day: date | None = None,
    *,
    config: AnalyticsConfig | None = None,
    check: Check = lambda: None,
    journey: JourneyConfig | None = None,
) -> ScoreRun:
    """Score every account paying on ``day`` (default: the snapshot's last day) with each
    target's published model; replaces that day's predictions."""
    day = day or last_snapshot_day(con)
    run = ScoreRun(day)
    for target in TARGETS:
        version = versions.published(con, target)
        if version is None:
            continue
        check()
        model = versions.load_model(con, version.version)
        frame = features_at(
            con, day, config=config, static=version.static, journey=journey
        ).to_pandas()
        x = _known_levels(frame.drop(columns=["account_id", "day"]), model)
        p = model.predict(x) if len(x) else np.zeros(0)
        drivers = top_drivers(model, x) if len(x) else []
        check()
        arr = (pd.to_numeric(frame["mrr"], errors="coerce") * 12).astype(object)
        to_renewal = pd.to_numeric(frame.get("days_to_renewal"), errors="coerce")
        renewal = [None if pd.isna(d) else day + timedelta(days=int(d)) for d in to_renewal]
        scores.write(
            con,
            target,
            day,
            version.version,
            frame["account_id"].tolist(),
            p,
            drivers,
            arr=[None if pd.isna(a) else float(a) for a in arr],
            renewal=renewal,
        )
        run.accounts[target] = len(frame)
        run.versions[target] = version.version
    return run


def explain_account(con: duckdb.DuckDBPyConnection, account_id: str) -> scores.AccountPrediction:
    """The account's latest probabilities, drivers and trend (a NotFoundError when it has
    none: not paying, or nothing scored yet)."""
    found = scores.for_account(con, account_id)
    if not found.targets:
        known = con.execute("SELECT 1 FROM accounts WHERE account_id = ?", [account_id]).fetchone()
        if known is None:
            raise NotFoundError(f"no account with account_id {account_id!r}", account_id=account_id)
    return found
