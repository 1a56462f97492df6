"""Touch tiers as stored facts: one row per change, so "which tier on a day" is a lookup.

``account_tiers`` (migration 0014) holds a row each time an account's tier, or the ARR or
potential it was decided on, changed; the row holds from its ``valid_from`` day until the
account's next row. :func:`record_tiers` writes a day's assignment (only what changed);
:func:`tiers_at` reads every account's tier in force on a day; :func:`account_history` one
account's changes. History only moves forward: a day before the latest recorded one is
refused, and recording the latest day again (a new configuration) replaces that day's rows.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal

import duckdb
import pyarrow as pa

from outsidein.errors import InvalidRequestError

__all__ = [
    "ASSIGNED_SCHEMA",
    "TierChange",
    "account_history",
    "last_recorded",
    "record_tiers",
    "tiers_at",
]

ASSIGNED_SCHEMA = pa.schema(
    [
        ("account_id", pa.string()),
        ("tier", pa.string()),
        ("arr", pa.decimal128(18, 2)),
        ("potential", pa.float64()),
    ]
)
_IN_FORCE = """
    SELECT account_id, tier, arr, potential, valid_from, config_version
    FROM account_tiers WHERE valid_from <= $day {scope}
    QUALIFY row_number() OVER (PARTITION BY account_id ORDER BY valid_from DESC) = 1
"""


@dataclass(frozen=True)
class TierChange:
    """One row of an account's tier history."""

    valid_from: date
    tier: str | None
    arr: Decimal
    potential: float | None
    config_version: int | None


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def last_recorded(con: duckdb.DuckDBPyConnection) -> date | None:
    """The latest day recorded (None: no tier was ever recorded)."""
    value = con.execute("SELECT max(valid_from) FROM account_tiers").fetchall()[0][0]
    return value if isinstance(value, date) else None


def record_tiers(
    con: duckdb.DuckDBPyConnection,
    assigned: pa.Table,
    as_of: date,
    *,
    config_version: int | None,
    transaction: bool = True,
) -> int:
    """Store ``assigned`` (``account_id, tier, arr, potential``) as the tiers of ``as_of``:
    a row for each account whose values differ from those in force the day before. Returns
    how many rows were written."""
    latest = last_recorded(con)
    if latest is not None and as_of < latest:
        raise InvalidRequestError(
            f"tiers are recorded up to {latest.isoformat()}; {as_of.isoformat()} is before it "
            "(history only moves forward)"
        )
    cur = con.cursor() if transaction else con  # without: the caller's transaction
    if transaction:
        cur.execute("BEGIN TRANSACTION")
    try:
        cur.register("_oi_tiers_new", assigned.select(ASSIGNED_SCHEMA.names).cast(ASSIGNED_SCHEMA))
        cur.execute("DELETE FROM account_tiers WHERE valid_from = ?", [as_of])
        before = _IN_FORCE.format(scope="")
        (written,) = cur.execute(
            f"""INSERT INTO account_tiers
                SELECT n.account_id, $as_of, n.tier, n.arr, n.potential, $version, $now
                FROM _oi_tiers_new n LEFT JOIN ({before}) o USING (account_id)
                WHERE o.account_id IS NULL
                   OR o.tier IS DISTINCT FROM n.tier OR o.arr IS DISTINCT FROM n.arr
                   OR o.potential IS DISTINCT FROM n.potential""",
            {"as_of": as_of, "version": config_version, "now": _now(), "day": _day_before(as_of)},
        ).fetchall()[0]
        if transaction:
            cur.execute("COMMIT")
    except BaseException:
        if transaction:
            cur.execute("ROLLBACK")
        raise
    finally:
        cur.unregister("_oi_tiers_new")
        if transaction:
            cur.close()
    return int(written)


def _day_before(day: date) -> date:
    return date.fromordinal(day.toordinal() - 1)


def tiers_in_force(scope: str = "") -> str:
    """The query of every account's tier row in force on ``$day`` (``scope``: more SQL
    conditions): the one definition, which health inputs and segment fields join."""
    return _IN_FORCE.format(scope=scope)


def tiers_at(con: duckdb.DuckDBPyConnection, day: date) -> pa.Table:
    """Every account's row in force on ``day`` (``account_id, tier, arr, potential,
    valid_from, config_version``), the accounts out of the tiers (tier null) included."""
    cur = con.cursor()
    try:
        return cur.sql(
            _IN_FORCE.format(scope="") + " ORDER BY account_id", params={"day": day}
        ).to_arrow_table()
    finally:
        cur.close()


def account_history(con: duckdb.DuckDBPyConnection, account_id: str) -> list[TierChange]:
    """``account_id``'s tier rows, oldest first."""
    rows = con.execute(
        "SELECT valid_from, tier, arr, potential, config_version FROM account_tiers "
        "WHERE account_id = ? ORDER BY valid_from",
        [account_id],
    ).fetchall()
    return [TierChange(*row) for row in rows]
