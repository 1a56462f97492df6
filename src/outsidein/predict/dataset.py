"""Observation days x accounts: feature rows from before each day, labels from after it.

Labels come from the daily snapshot's MRR (the one per-account definition), comparing the
end of the observation day with ``horizon_days`` later, for accounts paying on the day
(or, *by the next renewal*, with the day of the account's next term renewal when it falls
within ``horizon_days``: the renewal conversation's own outcome):

* ``churn`` — logo churn: MRR 0 at the horizon;
* ``revenue_churn`` — gross revenue churn: MRR down by ``down`` (default 20 %) or more;
* ``expansion`` — MRR up by ``up`` (default 10 %) or more.

A row whose horizon lies beyond the snapshot's last day has no label yet (it is scored, not
trained on). By the next renewal, an account without a term contract (month-to-month, which
renews every month) or renewing after the horizon has no label on that day.

Below :data:`MIN_EXAMPLES` labelled rows or :data:`MIN_POSITIVES` positives the training path
refuses and says to rank by the health score instead.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Literal

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa
from numpy.typing import NDArray

from outsidein.analytics.outcomes import mrr_outcomes, mrr_outcomes_at
from outsidein.errors import InvalidRequestError
from outsidein.predict.features import features_at
from outsidein.settings.analytics import AnalyticsConfig
from outsidein.settings.journey import JourneyConfig

__all__ = [
    "MIN_EXAMPLES",
    "MIN_POSITIVES",
    "TARGETS",
    "Dataset",
    "NotEnoughExamplesError",
    "build_dataset",
    "horizon_words",
    "labels_for",
    "observation_days",
]

Target = Literal["churn", "revenue_churn", "expansion"]
TARGETS: tuple[Target, ...] = ("churn", "revenue_churn", "expansion")
MIN_EXAMPLES = 200
MIN_POSITIVES = 20
MAX_OBSERVATIONS = 60


class NotEnoughExamplesError(InvalidRequestError):
    """Too few labelled examples to train on: the health score ranks accounts instead."""


@dataclass
class Dataset:
    """Feature rows (``account_id``, ``day`` first) and their labels (NaN: not known yet)."""

    frame: pd.DataFrame
    labels: pd.DataFrame  # churn, revenue_churn, expansion as 1.0 / 0.0 / NaN
    horizon_days: int
    static: tuple[str, ...] = ()
    by_renewal: bool = False

    @property
    def renewing(self) -> pd.Series:
        """Rows whose next term renewal falls within the horizon (the rows labelled by it)."""
        ahead = self.frame["days_to_renewal"]
        return ahead.notna() & (ahead <= self.horizon_days)

    @property
    def known_on(self) -> pd.Series:
        """The day each row's outcome is known: its day plus the horizon, or (by the next
        renewal) its renewal day where it has one within the horizon."""
        fixed = self.frame["day"] + timedelta(days=self.horizon_days)
        if not self.by_renewal:
            return fixed
        within = self.renewing
        later = [
            d + timedelta(days=int(n)) if ok else f
            for d, n, ok, f in zip(
                self.frame["day"], self.frame["days_to_renewal"].fillna(0), within, fixed,
                strict=True,
            )
        ]  # fmt: skip
        return pd.Series(later, index=self.frame.index)

    @property
    def features(self) -> pd.DataFrame:
        return self.frame.drop(columns=["account_id", "day"])

    def labelled(self, target: Target) -> NDArray[np.bool_]:
        return np.asarray(self.labels[target].notna().to_numpy(), dtype=np.bool_)


def horizon_words(horizon_days: int, by_renewal: bool) -> str:
    """The label's horizon as the report, the pages and the CLI say it."""
    if by_renewal:
        return f"by the next renewal (within {horizon_days} days)"
    return f"within {horizon_days} days"


def observation_days(last: date, count: int, *, step_months: int = 1) -> list[date]:
    """``count`` days ``step_months`` apart, ending on ``last`` (oldest first)."""
    if not 1 <= count <= MAX_OBSERVATIONS:
        raise InvalidRequestError(f"observations must be 1 to {MAX_OBSERVATIONS}, not {count}")
    days = []
    for k in reversed(range(count)):
        index = last.year * 12 + last.month - 1 - k * step_months
        year, month = divmod(index, 12)
        days.append(date(year, month + 1, min(last.day, 28)))
    return days


def labels_for(
    con: duckdb.DuckDBPyConnection,
    days: Sequence[date],
    horizon_days: int,
    *,
    down: float = 0.2,
    up: float = 0.1,
) -> pa.Table:
    """``account_id, day, churn, revenue_churn, expansion`` for accounts paying on each day
    whose MRR ``horizon_days`` later the snapshot knows."""
    _check_thresholds(down, up)
    return mrr_outcomes(con, days, horizon_days, down=down, up=up)


def build_dataset(
    con: duckdb.DuckDBPyConnection,
    days: Sequence[date],
    *,
    horizon_days: int = 90,
    down: float = 0.2,
    up: float = 0.1,
    static: Sequence[str] = (),
    config: AnalyticsConfig | None = None,
    check: Callable[[], None] = lambda: None,
    journey: JourneyConfig | None = None,
    by_renewal: bool = False,
) -> Dataset:
    """Feature rows at each day (paying accounts) joined to their labels (``journey``: the
    journey map in force, for the stage and interruption features; ``by_renewal``: each
    label read on the account's next renewal within ``horizon_days``)."""
    if not 7 <= horizon_days <= 366:
        raise InvalidRequestError(f"horizon_days must be 7 to 366, not {horizon_days}")
    tables = []
    for day in days:
        check()
        tables.append(features_at(con, day, config=config, static=static, journey=journey))
    frame = pa.concat_tables(tables, promote_options="default").to_pandas()
    frame["day"] = pd.to_datetime(frame["day"]).dt.date
    dataset = Dataset(frame.reset_index(drop=True), pd.DataFrame(), horizon_days, tuple(static))
    if by_renewal:
        dataset.by_renewal = True
        labels = renewal_labels(con, dataset, down=down, up=up).to_pandas()
    else:
        labels = labels_for(con, days, horizon_days, down=down, up=up).to_pandas()
    labels["day"] = pd.to_datetime(labels["day"]).dt.date
    joined = dataset.frame[["account_id", "day"]].merge(
        labels, on=["account_id", "day"], how="left"
    )
    dataset.labels = joined[list(TARGETS)].reset_index(drop=True)
    return dataset


def renewal_labels(
    con: duckdb.DuckDBPyConnection, dataset: Dataset, *, down: float = 0.2, up: float = 0.1
) -> pa.Table:
    """The labels by the next renewal: each row's MRR compared on its renewal day (from its
    own ``days_to_renewal``, known on the observation day), for rows renewing within the
    horizon."""
    _check_thresholds(down, up)
    frame = dataset.frame
    rows = dataset.renewing.to_numpy()
    points = pa.table(
        {
            "account_id": pa.array(frame["account_id"][rows].astype(str).tolist(), pa.string()),
            "day": pa.array(frame["day"][rows].tolist(), pa.date32()),
            "later": pa.array(dataset.known_on[rows].tolist(), pa.date32()),
        }
    )
    return mrr_outcomes_at(con, points, down=down, up=up)


def _check_thresholds(down: float, up: float) -> None:
    if not 0 < down < 1 or up <= 0:
        raise InvalidRequestError(f"down must be in (0, 1) and up above 0, not {down} and {up}")


def check_enough(dataset: Dataset, target: Target) -> None:
    """Refuse to train below the minimum, offering the health score's ranking instead."""
    known = dataset.labels[target].dropna()
    positives = int(known.sum())
    if len(known) < MIN_EXAMPLES or positives < MIN_POSITIVES:
        raise NotEnoughExamplesError(
            f"only {len(known)} labelled examples with {positives} {target} among them; "
            f"a model needs at least {MIN_EXAMPLES} examples and {MIN_POSITIVES} of each "
            "outcome. Rank accounts by the health score instead (outsidein health scores, "
            "lowest first), or widen the window (more observation days)."
        )
