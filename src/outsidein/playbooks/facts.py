"""What playbook rules read: one row per account, gathered once per run for every playbook.

Each number has its one definition elsewhere and is only gathered here: the health inputs
(usage from the daily snapshot, surveys, cases, days to renewal, lifecycle, segment) are
:func:`outsidein.health.inputs.inputs_at`'s, the effective health score and band
:func:`outsidein.health.history.scores_at`'s, custom fields :mod:`outsidein.store.custom_fields`'.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

import duckdb
import pyarrow as pa

from outsidein.expr import Catalogue, Type
from outsidein.expr.vector import arrow_type
from outsidein.health.history import scores_at
from outsidein.health.inputs import inputs_at
from outsidein.settings.analytics import AnalyticsConfig
from outsidein.settings.journey import JourneyConfig

__all__ = ["Facts", "gather", "score_before"]

CUSTOM = "custom."


class Facts:
    """The facts table (``account_id`` first) and the catalogue typed from its columns."""

    def __init__(
        self, table: pa.Table, now: datetime, journey: JourneyConfig | None = None
    ) -> None:
        self.table = table
        self.now = now
        self.journey = journey or JourneyConfig()  # the map the journey fields were read with
        self.index = {a: i for i, a in enumerate(table.column("account_id").to_pylist())}
        types: dict[str, Type] = {}
        for name, column_type in zip(table.column_names, table.schema.types, strict=True):
            t = arrow_type(column_type)
            if t is not None and name != "account_id":
                types[name] = t
        self.catalogue = Catalogue(types)

    @property
    def rows(self) -> int:
        return int(self.table.num_rows)

    def column(self, name: str) -> list[object]:
        values: list[object] = self.table.column(name).to_pylist()
        return values


def _empty_scores(table: pa.Table) -> pa.Table:
    return table.select(["account_id", "score", "band"])


def gather(
    con: duckdb.DuckDBPyConnection,
    now: datetime,
    *,
    accounts: Sequence[str] | None = None,
    custom: Sequence[str] = (),
    config: AnalyticsConfig | None = None,
    journey: JourneyConfig | None = None,
) -> Facts:
    """The facts of every account (or of ``accounts``) at ``now``; ``custom`` names the custom
    fields the rules read (``custom.<name>`` columns; null where a field is not loaded);
    ``journey``: the journey map in force (journey stage and interruptions)."""
    inputs = inputs_at(con, now.date(), accounts=accounts, config=config, journey=journey)
    cur = con.cursor()
    try:
        cur.register("_pb_in", inputs)
        cur.register("_pb_scores", _empty_scores(scores_at(cur, now)))
        table = cur.sql(
            "SELECT i.*, s.score::DOUBLE AS health_score, s.band AS health_band, a.csm_id "
            "FROM _pb_in i LEFT JOIN _pb_scores s USING (account_id) "
            "LEFT JOIN accounts a USING (account_id) ORDER BY i.account_id"
        ).to_arrow_table()
    finally:
        cur.close()
    names = sorted(set(custom))
    if names:
        table = _with_custom(con, table, names)
    return Facts(table, now, journey)


def _with_custom(con: duckdb.DuckDBPyConnection, table: pa.Table, names: list[str]) -> pa.Table:
    """The inputs carry every loaded custom field of accounts (``custom.<name>``, typed); a
    field the rules name that no load has brought is a column of nulls (missing)."""
    for name in names:
        if CUSTOM + name not in table.column_names:
            table = table.append_column(CUSTOM + name, pa.nulls(table.num_rows, pa.string()))
    return table


def score_before(con: duckdb.DuckDBPyConnection, at: datetime, days: int) -> pa.Table:
    """``account_id, score``: each account's effective score ``days`` days before ``at``."""
    return scores_at(con, at - timedelta(days=days)).select(["account_id", "score"])
