"""Which touch tier each account is in on a day: its inputs from the store, the rules applied.

:func:`tier_inputs` gathers, per account that existed on the day, its lifecycle status and ARR
from :func:`outsidein.analytics.lifecycle.account_status` (the accounts list's and the Metrics
page's one definition: nothing is recomputed here) and its potential (``employees`` or a
number custom field). :func:`assign` applies the ``[tiers]`` rules: a pure function of that
table, so a test can check it row by row. Only customers (neither prospects nor churned) get
a tier.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from outsidein.analytics.backend import store_sources
from outsidein.analytics.lifecycle import account_status
from outsidein.errors import ConfigError
from outsidein.settings.analytics import AnalyticsConfig
from outsidein.settings.tiers import TiersConfig

__all__ = ["INPUT_SCHEMA", "NOT_CUSTOMERS", "assign", "tier_inputs"]

NOT_CUSTOMERS = ("prospect", "churned")
INPUT_SCHEMA = pa.schema(
    [
        ("account_id", pa.string()),
        ("status", pa.string()),
        ("arr", pa.decimal128(18, 2)),
        ("potential", pa.float64()),
    ]
)


def _potential_sql(con: duckdb.DuckDBPyConnection, tiers: TiersConfig) -> tuple[str, list[str]]:
    """The SQL of each account's potential and its parameters (a custom field must exist and
    hold numbers: the message names what does)."""
    name = tiers.custom_potential()
    if name is None:
        return "a.employees::DOUBLE", []
    found = con.execute(
        "SELECT type FROM custom_fields WHERE entity = 'accounts' AND name = ?", [name]
    ).fetchall()
    if not found:
        known = [r[0] for r in con.execute(
            "SELECT name FROM custom_fields WHERE entity = 'accounts' ORDER BY name"
        ).fetchall()]  # fmt: skip
        raise ConfigError(
            f"tiers.potential = 'custom.{name}': accounts have no custom field {name!r} "
            f"(they have: {', '.join(known) or 'none'}); load it or use 'employees'",
        )
    if found[0][0] != "number":
        raise ConfigError(
            f"tiers.potential = 'custom.{name}': that field holds {found[0][0]} values, not "
            "numbers",
        )
    return (
        "(SELECT v.number FROM custom_values v WHERE v.entity = 'accounts' "
        "AND v.record_id = a.account_id AND v.name = ?)",
        [name],
    )


def tier_inputs(
    con: duckdb.DuckDBPyConnection,
    as_of: date,
    analytics: AnalyticsConfig,
    tiers: TiersConfig,
) -> pa.Table:
    """``account_id, status, arr, potential`` of every account created by the end of ``as_of``
    (ARR in the reporting currency on ``as_of``; potential null when unknown)."""
    figures = account_status(store_sources(con), analytics, as_of).to_pyarrow()
    potential, params = _potential_sql(con, tiers)
    end = datetime.combine(as_of + timedelta(days=1), time())
    cur = con.cursor()
    try:
        cur.register("_oi_tier_figures", figures)
        table = cur.sql(
            f"""SELECT a.account_id, f.status, coalesce(f.arr, 0)::DECIMAL(18, 2) AS arr,
                       {potential} AS potential
                FROM accounts a JOIN _oi_tier_figures f USING (account_id)
                WHERE a.created_at < ? ORDER BY a.account_id""",
            params=[*params, end],
        ).to_arrow_table()
    finally:
        cur.close()
    return table.cast(INPUT_SCHEMA)


def _reached(values: pa.ChunkedArray | pa.Array, bound: float | None) -> np.ndarray | None:
    """Where ``values`` reach ``bound`` (null: not reached); None when there is no bound."""
    if bound is None:
        return None
    held = pc.greater_equal(pc.cast(values, pa.float64()), pa.scalar(float(bound)))
    return np.asarray(pc.fill_null(held, False).to_numpy(zero_copy_only=False), dtype=bool)


def assign(inputs: pa.Table, tiers: TiersConfig) -> pa.Array:
    """Each row's tier name (null for prospects and churned accounts): the first tier whose
    bounds it reaches, ``any`` or ``all`` of them as the tier says; the last tier catches the
    rest."""
    n = inputs.num_rows
    customer = np.asarray(
        pc.invert(pc.is_in(inputs.column("status"), pa.array(NOT_CUSTOMERS)))
        .fill_null(False)
        .to_numpy(zero_copy_only=False),
        dtype=bool,
    )
    chosen = np.full(n, -1, dtype=np.int64)
    for i, tier in enumerate(tiers.tiers):
        tests = [
            t
            for t in (
                _reached(inputs.column("arr"), tier.min_arr),
                _reached(inputs.column("potential"), tier.min_potential),
            )
            if t is not None
        ]
        if not tests:
            held = np.ones(n, dtype=bool)
        elif tier.match == "all":
            held = np.logical_and.reduce(tests)
        else:
            held = np.logical_or.reduce(tests)
        chosen[(chosen < 0) & held & customer] = i
    names = pa.array([t.name for t in tiers.tiers], pa.string())
    return names.take(pa.array(np.where(chosen < 0, 0, chosen), mask=chosen < 0))
