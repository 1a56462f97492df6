"""Backtest a scoring callable before trusting it: how did it rank the accounts that then left?

At monthly points (the latest ``horizon_days`` before ``as_of``, so every point's outcome is
known, and ``months - 1`` months before it) the callable scores every account from its inputs
as they were (:func:`outsidein.health.inputs.inputs_at`); inputs that keep no history (today's
segment; custom fields) are left out — blanked — and named in the report. An account paying at
a point (MRR > 0) is *lost* when, ``horizon_days`` later, it has churned (MRR 0: the lifecycle
status ``churned``) or contracted (MRR down by ``contraction`` or more), the MRR being the
snapshot's (the one per-account definition). Lower scores should mean lost: the report gives
ROC AUC (scikit-learn; 0.5 is chance), the loss rate in the lowest-scored decile and its lift
over the base rate, and the loss rate by band, pooled over the points and per point.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta

import duckdb
import pyarrow as pa
import pyarrow.compute as pc
from sklearn.metrics import roc_auc_score

from outsidein.analytics.outcomes import mrr_outcomes
from outsidein.errors import InvalidRequestError
from outsidein.health.history import ScoresLike, check_scored
from outsidein.health.inputs import CUSTOM_PREFIX, FIELDS, inputs_at
from outsidein.settings.analytics import AnalyticsConfig
from outsidein.settings.journey import JourneyConfig

__all__ = [
    "BacktestReport",
    "BandRate",
    "LeftOut",
    "PointResult",
    "backtest",
    "backtest_each",
    "monthly_points",
]

MAX_MONTHS = 36


@dataclass(frozen=True)
class LeftOut:
    name: str
    reason: str


@dataclass(frozen=True)
class BandRate:
    band: str | None
    observations: int
    lost: int
    rate: float


@dataclass(frozen=True)
class PointResult:
    as_of: date
    observations: int
    lost: int
    auc: float | None


@dataclass
class BacktestReport:
    """What :func:`backtest` found; ``observations`` are (account, point) pairs."""

    points: list[date]
    horizon_days: int
    contraction: float
    observations: int = 0
    lost: int = 0
    unscored: int = 0  # paying accounts the callable gave no score
    base_rate: float | None = None
    auc: float | None = None
    lowest_decile_rate: float | None = None
    lift: float | None = None
    bands: list[BandRate] = field(default_factory=list)
    per_point: list[PointResult] = field(default_factory=list)
    left_out: list[LeftOut] = field(default_factory=list)
    seconds: float = 0.0


def monthly_points(as_of: date, months: int = 12, horizon_days: int = 90) -> list[date]:
    """``months`` points a month apart, the latest ``horizon_days`` before ``as_of``."""
    if not 1 <= months <= MAX_MONTHS:
        raise InvalidRequestError(f"months must be 1 to {MAX_MONTHS}, not {months}")
    if not 1 <= horizon_days <= 366:
        raise InvalidRequestError(f"horizon_days must be 1 to 366, not {horizon_days}")
    latest = as_of - timedelta(days=horizon_days)
    return [_months_before(latest, k) for k in reversed(range(months))]


def _months_before(day: date, k: int) -> date:
    index = day.year * 12 + day.month - 1 - k
    year, month = divmod(index, 12)
    following = date(year + (month + 1) // 12, (month + 1) % 12 + 1, 1)
    return date(year, month + 1, min(day.day, (following - timedelta(days=1)).day))


def backtest(
    con: duckdb.DuckDBPyConnection,
    score_fn: Callable[[pa.Table], ScoresLike],
    as_of: date,
    *,
    months: int = 12,
    horizon_days: int = 90,
    contraction: float = 0.2,
    config: AnalyticsConfig | None = None,
    check: Callable[[], None] = lambda: None,
    journey: JourneyConfig | None = None,
) -> BacktestReport:
    """Score every point with ``score_fn`` and compare with what happened (see the module)."""
    reports = backtest_each(
        con, {"": score_fn}, as_of, months=months, horizon_days=horizon_days,
        contraction=contraction, config=config, check=check, journey=journey,
    )  # fmt: skip
    return reports[""]


def backtest_each(
    con: duckdb.DuckDBPyConnection,
    score_fns: Mapping[str, Callable[[pa.Table], ScoresLike]],
    as_of: date,
    *,
    months: int = 12,
    horizon_days: int = 90,
    contraction: float = 0.2,
    config: AnalyticsConfig | None = None,
    check: Callable[[], None] = lambda: None,
    journey: JourneyConfig | None = None,
) -> dict[str, BacktestReport]:
    """:func:`backtest` of each named callable on the same points and the same inputs (each
    point's inputs computed once: a draft beside the published card costs one backtest's
    inputs, not two). ``journey``: the journey map in force (stage and interruptions)."""
    started = time.perf_counter()
    if not 0 < contraction < 1:
        raise InvalidRequestError(f"contraction must be between 0 and 1, not {contraction}")
    points = monthly_points(as_of, months, horizon_days)
    left_out = [
        LeftOut(f.name, "no history: only today's value is known") for f in FIELDS if not f.history
    ]
    blank = [lo.name for lo in left_out]
    outcomes = _outcomes(con, points, horizon_days, contraction)
    frames: dict[str, list[pa.Table]] = {name: [] for name in score_fns}
    for point in points:
        check()
        inputs = inputs_at(con, point, config=config, journey=journey)
        for name in inputs.column_names:
            if name.startswith(CUSTOM_PREFIX) and name not in blank:
                left_out.append(LeftOut(name, "a custom field: only today's value is kept"))
                blank.append(name)
        inputs = _without(inputs, blank)
        for name, score_fn in score_fns.items():
            scores = check_scored(score_fn(inputs)).scores
            day = pa.array([point] * scores.num_rows, pa.date32())
            frames[name].append(scores.append_column("point", day))
    reports = {}
    for name, tables in frames.items():
        report = BacktestReport(points, horizon_days, contraction, left_out=list(left_out))
        _measure(con, report, outcomes, pa.concat_tables(tables))
        reports[name] = report
    seconds = time.perf_counter() - started
    for report in reports.values():
        report.seconds = seconds
    return reports


def _without(inputs: pa.Table, names: Sequence[str]) -> pa.Table:
    """``inputs`` with the named columns blanked (null): the callable sees them as missing."""
    for name in names:
        if name in inputs.column_names:
            i = inputs.column_names.index(name)
            column = pa.nulls(inputs.num_rows, inputs.schema.field(name).type)
            inputs = inputs.set_column(i, name, column)
    return inputs


def _outcomes(
    con: duckdb.DuckDBPyConnection, points: list[date], horizon: int, contraction: float
) -> pa.Table:
    """(account_id, point, lost) for every account paying at a point whose MRR ``horizon``
    days later is known: lost is revenue churn at ``contraction`` (churn included)."""
    out = mrr_outcomes(con, points, horizon, down=contraction)
    lost = pc.greater(out.column("revenue_churn"), 0)
    return pa.table({"account_id": out.column("account_id"), "point": out.column("day"),
                     "lost": lost})  # fmt: skip


def _measure(
    con: duckdb.DuckDBPyConnection, report: BacktestReport, outcomes: pa.Table, scored: pa.Table
) -> None:
    cur = con.cursor()
    try:
        cur.register("_oi_outcomes", outcomes)
        cur.register("_oi_scored", scored)
        joined = cur.sql(
            """
            SELECT o.account_id, o.point, o.lost, s.score, s.band
            FROM _oi_outcomes o
            LEFT JOIN _oi_scored s ON s.account_id = o.account_id AND s.point = o.point
            ORDER BY o.point, o.account_id
            """
        ).to_arrow_table()
    finally:
        cur.close()
    has_score = pc.is_valid(joined.column("score"))
    report.unscored = joined.num_rows - int(pc.sum(has_score).as_py() or 0)
    rows = joined.filter(has_score)
    lost = [bool(v) for v in rows.column("lost").to_pylist()]
    scores = [float(v) for v in rows.column("score").to_pylist()]
    report.observations, report.lost = len(lost), sum(lost)
    if not lost:
        return
    report.base_rate = report.lost / report.observations
    report.auc = _auc(lost, scores)
    order = sorted(range(len(lost)), key=lambda i: scores[i])  # stable: point, account order
    decile = order[: math.ceil(len(order) / 10)]
    report.lowest_decile_rate = sum(lost[i] for i in decile) / len(decile)
    report.lift = report.lowest_decile_rate / report.base_rate if report.base_rate else None
    bands: dict[str | None, list[int]] = {}
    for band, was_lost in zip(rows.column("band").to_pylist(), lost, strict=True):
        tally = bands.setdefault(band, [0, 0])
        tally[0] += 1
        tally[1] += was_lost
    report.bands = [
        BandRate(band, n, k, k / n)
        for band, (n, k) in sorted(bands.items(), key=lambda kv: kv[1][1] / kv[1][0], reverse=True)
    ]
    by_point: dict[date, list[int]] = {}
    for i, point in enumerate(rows.column("point").to_pylist()):
        by_point.setdefault(point, []).append(i)
    for point in report.points:
        idx = by_point.get(point, [])
        sub_lost = [lost[i] for i in idx]
        report.per_point.append(
            PointResult(point, len(idx), sum(sub_lost), _auc(sub_lost, [scores[i] for i in idx]))
        )


def _auc(lost: list[bool], scores: list[float]) -> float | None:
    """ROC AUC of a low score predicting a loss; None when only one outcome occurred."""
    if len(set(lost)) < 2:
        return None
    return float(roc_auc_score(lost, [-s for s in scores]))
