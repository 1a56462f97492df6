"""A static feature table with a label (no events, no dates): the same model, judged by
repeated stratified cross-validation against plain logistic regression on the same folds.

Nothing is tuned on a test fold: the blend weight is chosen inside each training fold
(:func:`outsidein.predict.model.fit`), and the plain baseline has nothing to tune.
"""

from __future__ import annotations

import csv
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from numpy.typing import NDArray
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import RepeatedStratifiedKFold

from outsidein.errors import InvalidRequestError
from outsidein.predict.model import fit, fit_logistic, infer_schema

__all__ = ["CrossValidation", "StaticTable", "cross_validate", "read_static_table"]

POSITIVE = ("1", "yes", "true", "y", "t", "churned", "churn")
NEGATIVE = ("0", "no", "false", "n", "f", "")


@dataclass
class StaticTable:
    """Features (numbers parsed where a whole column is numeric), the 0/1 label, the ids."""

    frame: pd.DataFrame
    y: NDArray[np.int_]
    ids: list[str]
    label: str


def _numeric(column: pd.Series) -> pd.Series | None:
    """The column as numbers when every non-blank value is one (blanks become missing)."""
    text = column.astype("string").str.strip()
    blank = text.isna() | (text == "")
    parsed = pd.to_numeric(text.where(~blank), errors="coerce")
    if bool((parsed.isna() & ~blank).any()) or bool(blank.all()):
        return None
    return parsed.astype("float64")


def read_static_table(path: Path, label: str, *, id_column: str | None = None) -> StaticTable:
    """A CSV with one row per customer and a yes/no (or 1/0) ``label`` column."""
    with path.open(newline="", encoding="utf-8-sig") as handle:
        header = next(csv.reader(handle), [])
    if label not in header:
        raise InvalidRequestError(
            f"{path}: no label column {label!r}; the columns are {', '.join(header)}"
        )
    raw = pd.read_csv(path, dtype=str, keep_default_na=False)
    values = raw.pop(label).str.strip().str.lower()
    bad = ~values.isin(POSITIVE + NEGATIVE)
    if bad.any():
        line = int(np.flatnonzero(bad.to_numpy())[0]) + 2
        raise InvalidRequestError(
            f"{path}, line {line}, column {label}: {values[bad].iloc[0]!r} is not a yes/no "
            "label (use 1/0, yes/no or true/false)"
        )
    y = values.isin(POSITIVE).to_numpy().astype(int)
    ids = raw.pop(id_column).tolist() if id_column else [str(i) for i in range(len(raw))]
    frame = pd.DataFrame(index=raw.index)
    for name in raw.columns:
        number = _numeric(raw[name])
        frame[name] = number if number is not None else raw[name].str.strip().replace("", None)
    return StaticTable(frame, y, [str(i) for i in ids], label)


@dataclass
class CrossValidation:
    """Per-fold ROC AUC of the model and of plain logistic regression on the same folds."""

    seed: int
    folds: int
    repeats: int
    model_auc: list[float] = field(default_factory=list)
    logistic_auc: list[float] = field(default_factory=list)
    weights: list[float] = field(default_factory=list)

    @property
    def model_mean(self) -> float:
        return float(np.mean(self.model_auc))

    @property
    def logistic_mean(self) -> float:
        return float(np.mean(self.logistic_auc))

    @property
    def gains(self) -> NDArray[np.float64]:
        diff = np.asarray(self.model_auc, dtype=np.float64) - np.asarray(self.logistic_auc)
        return np.asarray(diff, dtype=np.float64)

    @property
    def wins(self) -> int:
        return int((self.gains > 0).sum())


def cross_validate(
    table: StaticTable,
    *,
    folds: int = 5,
    repeats: int = 5,
    seed: int = 2026,
    progress: Callable[[int, int], None] = lambda done, total: None,
) -> CrossValidation:
    """Repeated stratified k-fold: the model and plain logistic regression on each fold."""
    schema = infer_schema(table.frame, ratios=True)
    plain_schema = infer_schema(table.frame)  # the textbook baseline: the columns as they are
    result = CrossValidation(seed, folds, repeats)
    splitter = RepeatedStratifiedKFold(n_splits=folds, n_repeats=repeats, random_state=seed)
    total = folds * repeats
    for k, (train, test) in enumerate(splitter.split(table.frame, table.y)):
        part, rest = table.frame.iloc[train], table.frame.iloc[test]
        model = fit(part, table.y[train], schema)
        result.model_auc.append(float(roc_auc_score(table.y[test], model.raw(rest))))
        result.weights.append(model.weight)
        design, plain = fit_logistic(part, table.y[train], plain_schema, plain=True)
        lr = plain.decision_function(design.matrix(rest))
        result.logistic_auc.append(float(roc_auc_score(table.y[test], lr)))
        progress(k + 1, total)
    return result
