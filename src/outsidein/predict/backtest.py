"""Time-based backtests: fit before T, predict the accounts observed on T, judge H days later.

For each of the latest ``folds`` labelled observation days T, the model is trained on rows
whose outcome was known by T (observation day + horizon <= T; by the next renewal, its
renewal day <= T): the latest
``calibration_days`` of those days are held back to calibrate it (a later fold than its
training rows), the rest fit it. The logistic baseline is fitted on the same rows. Pooled
over the folds: ROC AUC, PR-AUC, the Brier score, the expected calibration error and the
reliability curve; per fold: both AUCs, so a reader sees them over time.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date

import numpy as np
import pandas as pd
from sklearn.metrics import average_precision_score, roc_auc_score

from outsidein.errors import InvalidRequestError
from outsidein.predict.calibration import (
    Calibrator,
    ReliabilityBin,
    brier,
    expected_calibration_error,
    fit_calibrator,
    reliability,
)
from outsidein.predict.dataset import Dataset, Target, check_enough
from outsidein.predict.model import Fitted, Schema, fit, infer_schema

__all__ = ["HISTORY_DAYS", "BacktestResult", "FoldResult", "backtest", "train", "with_history"]

# the latest observation days of the rows known by T held back to calibrate: two gave a
# simulated company's Platt maps ~80 positives and a pooled AUC 0.869; three (~120) 0.871
CALIBRATION_DAYS = 3
# a feature is learnt once it is known (for any account) on this many observation days of the
# training rows: a survey begun last month would teach one wave's quirks (on a simulated
# company, outcome satisfaction learnt from one or two days cost the logistic baseline 0.06 AUC
# in a fold)
HISTORY_DAYS = 3
# A fold's day needs this share of a typical day's labelled rows: by the next renewal the
# latest days hold only the accounts renewing soon (a fold of three rows says nothing).
FOLD_SHARE = 0.5


@dataclass(frozen=True)
class FoldResult:
    day: date
    rows: int
    positives: int
    auc: float | None
    pr_auc: float | None
    logistic_auc: float | None
    weight: float


@dataclass
class BacktestResult:
    """Per-fold and pooled measures; ``predictions`` keeps every scored row (``row``: its
    index among the labelled rows of the dataset, :meth:`Dataset.labelled`)."""

    target: str
    horizon_days: int
    folds: list[FoldResult] = field(default_factory=list)
    predictions: pd.DataFrame = field(default_factory=pd.DataFrame)
    auc: float | None = None
    pr_auc: float | None = None
    logistic_auc: float | None = None
    brier: float | None = None
    ece: float | None = None
    base_rate: float | None = None
    curve: list[ReliabilityBin] = field(default_factory=list)
    models: dict[date, Fitted] = field(default_factory=dict)  # each fold's, by its day


def _auc(y: np.ndarray, p: np.ndarray) -> float | None:
    return float(roc_auc_score(y, p)) if len(np.unique(y)) == 2 else None


def _split(days: pd.Series, known_on: pd.Series, cutoff: date) -> tuple[np.ndarray, np.ndarray]:
    """Rows whose outcome is known by ``cutoff``: (fit rows, calibration rows: the latest
    days)."""
    known = (known_on <= cutoff).to_numpy()
    seen = sorted(set(days[known]))
    late = set(seen[-CALIBRATION_DAYS:]) if len(seen) > CALIBRATION_DAYS else set()
    calib = known & days.isin(late).to_numpy()
    return known & ~calib, calib


def fold_days(days: pd.Series, folds: int) -> list[date]:
    """The latest ``folds`` observation days holding at least :data:`FOLD_SHARE` of the
    median day's labelled rows."""
    counts = days.value_counts()
    full = counts[counts >= FOLD_SHARE * counts.median()]
    return sorted(full.index)[-folds:]


def with_history(schema: Schema, x: pd.DataFrame, days: pd.Series) -> Schema:
    """``schema`` without the features too young to learn from: known on fewer than
    :data:`HISTORY_DAYS` observation days of ``x`` (or never); they join once they have it."""
    known = x.notna().groupby(days.to_numpy()).any()
    needed = min(HISTORY_DAYS, len(known))  # a panel of one or two days: every day
    young = {str(c) for c in known.columns if int(known[c].sum()) < needed}
    if not young:
        return schema
    return replace(
        schema,
        numeric=tuple(n for n in schema.numeric if n not in young),
        categorical=tuple(n for n in schema.categorical if n not in young),
    )


def _fit_calibrated(
    x: pd.DataFrame, y: np.ndarray, ids: pd.Series, days: pd.Series, fit_rows: np.ndarray,
    calib_rows: np.ndarray, schema: Schema,
) -> Fitted:  # fmt: skip
    schema = with_history(schema, x[fit_rows], days[fit_rows])
    # inner folds by account: an account's rows a month apart are nearly the same row
    groups = ids[fit_rows].to_numpy()
    model = fit(x[fit_rows], y[fit_rows], schema, groups=groups)
    if calib_rows.any():
        model.calibrator = fit_calibrator(model.raw(x[calib_rows]), y[calib_rows])
    else:
        model.calibrator = Calibrator("none")
    return model


def backtest(dataset: Dataset, target: Target, *, folds: int = 4) -> BacktestResult:
    """Judge the training path on the latest ``folds`` labelled observation days."""
    check_enough(dataset, target)
    labelled = dataset.labelled(target)
    x = dataset.features[labelled].reset_index(drop=True)
    y = dataset.labels[target][labelled].to_numpy().astype(int)
    days = dataset.frame["day"][labelled].reset_index(drop=True)
    ids = dataset.frame["account_id"][labelled].reset_index(drop=True)
    known_on = dataset.known_on[labelled].reset_index(drop=True)
    schema = infer_schema(x)
    horizon = dataset.horizon_days
    result = BacktestResult(target, horizon)
    pieces = []
    for day in fold_days(days, folds):
        fit_rows, calib_rows = _split(days, known_on, day)
        test = (days == day).to_numpy()
        if fit_rows.sum() < 50 or len(np.unique(y[fit_rows])) < 2:
            continue
        model = _fit_calibrated(x, y, ids, days, fit_rows, calib_rows, schema)
        raw = model.raw(x[test])  # the ranking: AUCs (a calibration map may tie scores)
        p = model.calibrator(raw)  # the probabilities: Brier, ECE, reliability
        # the baseline: the blend's own logistic regression (fitted on the same rows)
        p_lr = model.design.decision(x[test], model.logistic)
        yt = y[test]
        result.folds.append(
            FoldResult(
                day, int(test.sum()), int(yt.sum()), _auc(yt, raw),
                float(average_precision_score(yt, raw)) if yt.any() else None,
                _auc(yt, p_lr), model.weight,
            )
        )  # fmt: skip
        result.models[day] = model
        rows = np.flatnonzero(test)
        pieces.append(
            pd.DataFrame(
                {"account_id": ids[test], "day": day, "y": yt, "p": p, "raw": raw, "row": rows}
            )
        )
    if not pieces:
        raise InvalidRequestError(
            f"no backtest fold has {horizon} days of history before it: widen the window"
        )
    pred = pd.concat(pieces, ignore_index=True)
    result.predictions = pred
    yy, pp = pred["y"].to_numpy(), pred["p"].to_numpy()
    # pooled over folds the raw scores of different models are not comparable: rank by the
    # calibrated probability, which is (each fold's map is monotone within its fold)
    result.auc = _auc(yy, pp)
    result.pr_auc = float(average_precision_score(yy, pp)) if yy.any() else None
    aucs = [f.logistic_auc for f in result.folds if f.logistic_auc is not None]
    result.logistic_auc = float(np.mean(aucs)) if aucs else None
    result.brier = brier(pp, yy)
    result.ece = expected_calibration_error(pp, yy)
    result.base_rate = float(yy.mean())
    result.curve = reliability(pp, yy)
    return result


def train(dataset: Dataset, target: Target, *, as_of: date | None = None) -> Fitted:
    """The model to publish: fitted on every row whose outcome is known by ``as_of``
    (default: every labelled row), calibrated on the latest of them."""
    check_enough(dataset, target)
    labelled = dataset.labelled(target)
    x = dataset.features[labelled].reset_index(drop=True)
    y = dataset.labels[target][labelled].to_numpy().astype(int)
    days = dataset.frame["day"][labelled].reset_index(drop=True)
    ids = dataset.frame["account_id"][labelled].reset_index(drop=True)
    known_on = dataset.known_on[labelled].reset_index(drop=True)
    cutoff = as_of or max(known_on)
    fit_rows, calib_rows = _split(days, known_on, cutoff)
    return _fit_calibrated(x, y, ids, days, fit_rows, calib_rows, infer_schema(x))
