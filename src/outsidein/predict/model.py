"""The propensity model: LightGBM and a regularised logistic regression, blended in logit space.

Both models see the same feature table (numbers and text categories). The logistic regression
gets a design matrix of its own: numbers median-imputed, with a missing flag, a log transform
for skewed non-negative ones, standardised; categories one-hot. The blend weight is chosen by
cross-validation *inside* the training rows only (``groups`` keep related rows together: for
panel data, an account's rows), so nothing is tuned on the rows a model is judged on. Because
the blend is a weighted sum of two margins, each feature's contribution to an account's logit
is exact: the weighted LightGBM ``pred_contrib`` plus the weighted linear term.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, field

import lightgbm as lgb
import numpy as np
import pandas as pd
from numpy.typing import NDArray
from scipy.special import expit
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import GroupKFold, StratifiedKFold
from sklearn.preprocessing import SplineTransformer
from threadpoolctl import threadpool_limits

from outsidein.predict.calibration import Calibrator

__all__ = ["BLEND_WEIGHTS", "Fitted", "Schema", "fit", "fit_logistic", "infer_schema"]

F64 = NDArray[np.float64]
I64 = NDArray[np.int64]
BLEND_WEIGHTS = (0.0, 0.25, 0.5, 0.75)  # LightGBM's share, chosen by inner CV
INNER_FOLDS = 3
LGB_PARAMS: dict[str, object] = {
    "objective": "binary",
    "learning_rate": 0.03,
    "num_leaves": 7,
    "min_data_in_leaf": 40,
    "feature_fraction": 0.7,
    "bagging_fraction": 0.8,
    "bagging_freq": 1,
    "lambda_l2": 5.0,
    "max_cat_to_onehot": 8,
    "verbosity": -1,
    "num_threads": 1,
    "seed": 0,
    "deterministic": True,
}
ROUNDS = 300
# Above this many training rows the blend is fitted on every positive and a weighted sample
# of the negatives (each kept negative counts for those left out), and its blend weight chosen
# on a smaller sample: 200k panel rows teach a 40-feature model little more than 40k do, and the
# fit's cost grows with the rows (bench/bench_predict.py). Small tables are fitted whole.
MAX_FIT_ROWS = 40_000
MAX_INNER_ROWS = 16_000
PREDICT_THREADS = 2  # scoring many rows: both cores (training stays on one, see LGB_PARAMS)
LR_C = 0.05
SPLINE_KNOTS = 5
SPLINE_MIN_VALUES = 10  # numbers with more distinct values get a spline basis as well
# A number present in fewer training rows than this (or than a tenth of them, small tables)
# is left to LightGBM: the logistic regression cannot learn its slope from a handful of rows.
MIN_PRESENT = 200
MAX_RATIO_COLUMNS = 6  # ratios of amounts only for tables with this few continuous numbers


@dataclass(frozen=True)
class Schema:
    """Which columns are numbers and which are categories (with the training levels)."""

    numeric: tuple[str, ...]
    categorical: tuple[str, ...]
    levels: dict[str, tuple[str, ...]] = field(default_factory=dict)
    ratios: tuple[tuple[str, str], ...] = ()  # derived a / b columns (static tables)

    @property
    def columns(self) -> tuple[str, ...]:
        return self.numeric + tuple(f"{a}/{b}" for a, b in self.ratios) + self.categorical

    def expand(self, frame: pd.DataFrame) -> pd.DataFrame:
        """``frame`` with the derived ratio columns added (null where the divisor is 0)."""
        if not self.ratios:
            return frame
        extra = {}
        for a, b in self.ratios:
            num = pd.to_numeric(frame[a], errors="coerce").astype("float64")
            den = pd.to_numeric(frame[b], errors="coerce").astype("float64")
            extra[f"{a}/{b}"] = num / den.where(den > 0)
        return pd.concat([frame, pd.DataFrame(extra, index=frame.index)], axis=1)

    @property
    def numbers(self) -> tuple[str, ...]:
        return self.numeric + tuple(f"{a}/{b}" for a, b in self.ratios)


def infer_schema(
    frame: pd.DataFrame, exclude: tuple[str, ...] = (), *, ratios: bool = False
) -> Schema:
    """Numbers (and flags) are numeric; everything else is a category.

    ``ratios``: for a table with at most :data:`MAX_RATIO_COLUMNS` continuous non-negative
    numbers (a static table: tenure, charges), add each ratio of two of them as a feature
    (an amount per month, per seat): cheap, generic, and what a tree finds hard to split on.
    """
    numeric, categorical, levels = [], [], {}
    for name in frame.columns:
        if name in exclude:
            continue
        column = frame[name]
        if pd.api.types.is_bool_dtype(column) or pd.api.types.is_numeric_dtype(column):
            numeric.append(str(name))
        else:
            categorical.append(str(name))
            seen = sorted({str(v) for v in column.dropna().unique()})
            levels[str(name)] = tuple(seen)
    pairs: list[tuple[str, str]] = []
    if ratios:
        amounts = [
            n for n in numeric
            if frame[n].nunique() > SPLINE_MIN_VALUES and (frame[n].dropna() >= 0).all()
        ]  # fmt: skip
        if len(amounts) <= MAX_RATIO_COLUMNS:
            pairs = [(a, b) for a in amounts for b in amounts if a != b]
    return Schema(tuple(numeric), tuple(categorical), levels, tuple(pairs))


def _lgb_frame(frame: pd.DataFrame, schema: Schema) -> pd.DataFrame:
    frame = schema.expand(frame)
    out = pd.DataFrame(index=frame.index)
    for name in schema.numbers:
        out[name] = pd.to_numeric(frame[name], errors="coerce").astype("float64")
    for name in schema.categorical:
        kind = pd.CategoricalDtype(list(schema.levels[name]))
        out[name] = frame[name].astype("object").where(frame[name].notna(), None).astype(kind)
    return out


@dataclass
class Design:
    """How the logistic regression sees the features, learnt on the training rows."""

    schema: Schema
    medians: dict[str, float]
    logged: tuple[str, ...]  # skewed non-negative numbers: log1p
    flagged: tuple[str, ...]  # numbers missing in some training rows: a 0/1 flag beside them
    splines: dict[str, SplineTransformer] = field(default_factory=dict)
    means: F64 = field(default_factory=lambda: np.zeros(0))
    scales: F64 = field(default_factory=lambda: np.ones(0))
    owners: list[str] = field(default_factory=list)  # the feature each design column is of
    kinds: list[str] = field(default_factory=list)  # value, flag, spline or level
    absent: tuple[str, ...] = ()  # numbers present in too few training rows: not used

    @classmethod
    def learn(cls, frame: pd.DataFrame, schema: Schema, *, plain: bool = False) -> Design:
        """``plain``: numbers as they are (imputed, scaled), no logs and no splines."""
        return cls.learn_matrix(frame, schema, plain=plain)[0]

    @classmethod
    def learn_matrix(
        cls, frame: pd.DataFrame, schema: Schema, *, plain: bool = False
    ) -> tuple[Design, F64]:
        """:meth:`learn`, and the training rows' standardised matrix (computed once)."""
        frame = schema.expand(frame)
        medians, logged, flagged, absent = {}, [], [], []
        splines = {}
        present_rows: dict[str, NDArray[np.bool_]] = {}
        for name in schema.numbers:
            values = pd.to_numeric(frame[name], errors="coerce").astype("float64")
            present = values.dropna()
            if len(present) < min(MIN_PRESENT, len(values) // 10):
                absent.append(name)  # too few values to learn from (LightGBM still sees it)
                continue
            medians[name] = float(present.median())
            if not plain and present.min() >= 0 and present.skew() > 2:
                logged.append(name)
            if len(present) < len(values):
                flagged.append(name)
                present_rows[name] = values.notna().to_numpy()
            if not plain and present.nunique() > SPLINE_MIN_VALUES:
                seen = present.to_numpy()[:, None]  # knots where values are, not imputed ones
                if name in logged:
                    seen = np.log1p(np.maximum(seen, 0.0))
                basis = SplineTransformer(n_knots=SPLINE_KNOTS, degree=3, knots="quantile")
                with contextlib.suppress(ValueError):  # too few distinct quantiles
                    splines[name] = basis.fit(seen)
        design = cls(schema, medians, tuple(logged), tuple(flagged), splines, absent=tuple(absent))
        raw = design._raw(frame, expanded=True)
        design.means = raw.mean(axis=0)
        std = raw.std(axis=0)
        # A sometimes-missing number is scaled by its spread where present: scaled with the
        # imputed rows, a number seen in few training rows gets a tiny spread, and the rows
        # that have it (more of them when scoring, as a survey starts) get huge values.
        for j, (owner, kind) in enumerate(zip(design.owners, design.kinds, strict=True)):
            if kind != "flag" and owner in present_rows:
                seen_rows = raw[present_rows[owner], j]
                design.means[j] = seen_rows.mean()
                std[j] = seen_rows.std()
        design.scales = np.where(std > 0, std, 1.0)
        raw -= design.means
        raw /= design.scales
        return design, raw

    def _raw(self, frame: pd.DataFrame, *, expanded: bool = False) -> F64:
        if not expanded:
            frame = self.schema.expand(frame)
        cols: list[F64] = []
        owners: list[str] = []
        kinds: list[str] = []
        for name in self.schema.numbers:
            if name in self.absent:
                continue
            values = pd.to_numeric(frame[name], errors="coerce").to_numpy(dtype=np.float64)
            missing = np.isnan(values)
            values = np.where(missing, self.medians[name], values)
            if name in self.logged:
                values = np.log1p(np.maximum(values, 0.0))
            cols.append(values)
            owners.append(name)
            kinds.append("value")
            if name in self.flagged:
                cols.append(missing.astype(np.float64))
                owners.append(name)
                kinds.append("flag")
            if name in self.splines:
                basis = self.splines[name].transform(values[:, None])
                cols.extend(basis.T)
                owners.extend([name] * basis.shape[1])
                kinds.extend(["spline"] * basis.shape[1])
        for name in self.schema.categorical:
            text = frame[name].astype("object")
            for level in self.schema.levels[name]:
                cols.append((text == level).to_numpy(dtype=np.float64))
                owners.append(name)
                kinds.append("level")
        self.owners = owners
        self.kinds = kinds
        out = np.empty((len(frame), len(cols)), dtype=np.float64, order="F")  # by column
        for j, col in enumerate(cols):
            out[:, j] = col
        return out

    def matrix(self, frame: pd.DataFrame) -> F64:
        out = self._raw(frame)
        out -= self.means
        out /= self.scales
        return out

    def decision(self, frame: pd.DataFrame, model: LogisticRegression) -> F64:
        """``model.decision_function(self.matrix(frame))`` without the standardised copy:
        the scaling folded into the coefficients (scoring 100k rows, bench/bench_predict.py)."""
        coef = model.coef_[0] / self.scales
        bias = float(model.intercept_[0]) - float(coef @ self.means)
        return np.asarray(self._raw(frame) @ coef + bias, dtype=np.float64)


def fit_logistic(
    frame: pd.DataFrame,
    y: NDArray[np.int_],
    schema: Schema,
    *,
    plain: bool = False,
    sample_weight: F64 | None = None,
) -> tuple[Design, LogisticRegression]:
    """The regularised logistic regression (``plain``: the textbook one, C = 1, no splines)."""
    design, x = Design.learn_matrix(frame, schema, plain=plain)
    with threadpool_limits(1):  # BLAS threads on a busy machine cost 5x: one is faster
        model = LogisticRegression(C=1.0 if plain else LR_C, max_iter=3000)
        model.fit(x, y, sample_weight=sample_weight)
    return design, model


def _fit_lgb(
    frame: pd.DataFrame, y: NDArray[np.int_], schema: Schema, weights: F64 | None = None
) -> lgb.Booster:
    data = lgb.Dataset(_lgb_frame(frame, schema), label=y, weight=weights, free_raw_data=True)
    return lgb.train(LGB_PARAMS, data, num_boost_round=ROUNDS)


def _sample(y: NDArray[np.int_], cap: int, seed: int = 0) -> tuple[I64, F64 | None]:
    """Rows to fit on (every positive, a random share of the negatives) and their weights
    (a kept negative stands for 1 / share of them); all rows, unweighted, up to ``cap``."""
    if len(y) <= cap:
        return np.arange(len(y), dtype=np.int64), None
    pos = np.flatnonzero(y == 1)
    neg = np.flatnonzero(y != 1)
    take = max(cap - len(pos), min(len(neg), cap // 2))
    if take >= len(neg):
        return np.arange(len(y), dtype=np.int64), None
    kept = np.random.default_rng(seed).choice(neg, size=take, replace=False)
    rows = np.sort(np.concatenate([pos, kept])).astype(np.int64)
    weights = np.where(y[rows] == 1, 1.0, len(neg) / take)
    return rows, np.asarray(weights, dtype=np.float64)


@dataclass
class Fitted:
    """A trained blend: LightGBM's share ``weight`` of the logit, the rest the logistic's."""

    schema: Schema
    booster: lgb.Booster | None
    design: Design
    logistic: LogisticRegression
    weight: float
    calibrator: Calibrator = field(default_factory=lambda: Calibrator("none"))
    inner_auc: dict[float, float] = field(default_factory=dict)

    def margin(self, frame: pd.DataFrame) -> F64:
        lr = self.design.decision(frame, self.logistic)
        if self.booster is None or self.weight == 0:
            return lr
        gb = np.asarray(
            self.booster.predict(
                _lgb_frame(frame, self.schema), raw_score=True, num_threads=PREDICT_THREADS
            )
        )
        return np.asarray(self.weight * gb + (1 - self.weight) * lr, dtype=np.float64)

    def raw(self, frame: pd.DataFrame) -> F64:
        return np.asarray(expit(self.margin(frame)), dtype=np.float64)  # no overflow

    def predict(self, frame: pd.DataFrame) -> F64:
        """Calibrated probabilities."""
        return self.calibrator(self.raw(frame))

    def contributions(self, frame: pd.DataFrame) -> pd.DataFrame:
        """Each feature's share of each row's logit (the rows' sum plus the bias is the margin)."""
        names = list(self.schema.numeric + self.schema.categorical)
        out = pd.DataFrame(0.0, index=frame.index, columns=names)
        x = self.design.matrix(frame)
        coef = self.logistic.coef_[0]
        for j, owner in enumerate(self.design.owners):
            out[owner.split("/")[0]] += (1 - self.weight) * coef[j] * x[:, j]
        if self.booster is not None and self.weight > 0:
            contrib = np.asarray(
                self.booster.predict(_lgb_frame(frame, self.schema), pred_contrib=True)
            )
            for j, name in enumerate(self.schema.columns):
                owner = name.split("/")[0] if name not in out.columns else name
                out[owner] += self.weight * contrib[:, j]
        return out


def _inner_weight(
    frame: pd.DataFrame,
    y: NDArray[np.int_],
    schema: Schema,
    groups: NDArray[np.generic] | None,
    weights: F64 | None = None,
) -> dict[float, float]:
    """Out-of-fold AUC of each blend weight, on folds of the training rows only."""
    gb_oof = np.zeros(len(y))
    lr_oof = np.zeros(len(y))
    if groups is not None and len(np.unique(groups)) >= INNER_FOLDS:
        splits = GroupKFold(n_splits=INNER_FOLDS).split(frame, y, groups)
    else:
        splits = StratifiedKFold(INNER_FOLDS, shuffle=True, random_state=0).split(frame, y)
    for tr, te in splits:
        part, rest = frame.iloc[tr], frame.iloc[te]
        w = None if weights is None else weights[tr]
        booster = _fit_lgb(part, y[tr], schema, w)
        gb_oof[te] = booster.predict(_lgb_frame(rest, schema), raw_score=True)
        design, lr = fit_logistic(part, y[tr], schema, sample_weight=w)
        lr_oof[te] = design.decision(rest, lr)
    return {
        b: float(roc_auc_score(y, b * gb_oof + (1 - b) * lr_oof, sample_weight=weights))
        for b in BLEND_WEIGHTS
    }


def fit(
    frame: pd.DataFrame,
    y: NDArray[np.int_],
    schema: Schema,
    *,
    groups: NDArray[np.generic] | None = None,
    weight: float | None = None,
    max_rows: int = MAX_FIT_ROWS,
) -> Fitted:
    """Fit the blend on ``frame``; ``weight`` None chooses it by inner cross-validation.

    Above ``max_rows`` rows the fit sees every positive and a weighted sample of the
    negatives (:func:`_sample`); the inner cross-validation a smaller one of those rows."""
    y = np.asarray(y).astype(int)
    rows, weights = _sample(y, max_rows)
    if weights is not None:
        frame, y = frame.iloc[rows], y[rows]
        groups = None if groups is None else np.asarray(groups)[rows]
    scores: dict[float, float] = {}
    if weight is None:
        inner, more = _sample(y, min(max_rows, MAX_INNER_ROWS), seed=1)
        part = frame if len(inner) == len(y) else frame.iloc[inner]
        both = None if weights is None else weights[inner]
        if more is not None:  # a sample of the sample: its negatives count for more still
            both = more if both is None else both * more
        scores = _inner_weight(
            part, y[inner], schema, None if groups is None else np.asarray(groups)[inner], both
        )
        weight = max(scores, key=lambda w: (scores[w], -abs(w - 0.5)))
    booster = _fit_lgb(frame, y, schema, weights) if weight > 0 else None
    design, logistic = fit_logistic(frame, y, schema, sample_weight=weights)
    return Fitted(schema, booster, design, logistic, weight, inner_auc=scores)
