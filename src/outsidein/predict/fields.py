"""Predictions as segment fields: ``churn_risk`` and ``expansion_propensity``.

Each is the account's probability on the last scoring day on or before the day asked
(:mod:`outsidein.predict.scores`), so a segment or a playbook condition reads the same number
the account page shows. Light on purpose: segments import this, and it loads no model.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

import duckdb
import pyarrow as pa

from outsidein.expr import Type
from outsidein.segments.fields import Context, FieldDef

__all__ = ["FIELDS", "PredictSource", "latest_probabilities"]

FIELDS = {"churn_risk": "churn", "expansion_propensity": "expansion"}


def latest_probabilities(con: duckdb.DuckDBPyConnection, target: str, as_of: date) -> pa.Table:
    """``account_id, probability``: the predictions of ``target`` of its last scoring day by
    ``as_of`` (an account no longer scored then, e.g. one that left, has none)."""
    cur = con.cursor()
    try:
        return cur.sql(
            "SELECT account_id, probability FROM predictions WHERE target = $target AND day = "
            "(SELECT max(day) FROM predictions WHERE target = $target AND day <= $day)",
            params={"target": target, "day": as_of},
        ).to_arrow_table()
    finally:
        cur.close()


class PredictSource:
    """The segment field source of the predictions."""

    name = "predict"

    def fields(self, con: duckdb.DuckDBPyConnection, context: Context) -> list[FieldDef]:
        return [
            FieldDef(
                "churn_risk",
                Type.NUMBER,
                "probability of churning within the model's horizon (0 to 1; docs/predict.md)",
                self.name,
            ),
            FieldDef(
                "expansion_propensity",
                Type.NUMBER,
                "probability of MRR growing 10 % or more within the model's horizon (0 to 1)",
                self.name,
            ),
        ]

    def load(
        self, con: duckdb.DuckDBPyConnection, as_of: date, names: Sequence[str], context: Context
    ) -> pa.Table:
        out: pa.Table | None = None
        for name in names:
            part = latest_probabilities(con, FIELDS[name], as_of).rename_columns(
                ["account_id", name]
            )
            out = part if out is None else out.join(part, "account_id", join_type="full outer")
        return out if out is not None else pa.table({"account_id": pa.array([], pa.string())})
