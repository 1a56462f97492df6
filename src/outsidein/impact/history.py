"""Firings recorded before Outside-In: a file of past interventions into ``playbook_firings``.

The simulated company's planted plays arrive this way (``plays/playbook_firings.parquet``),
as a team's history of interventions from an earlier tool would. A firing already stored
(the same ``firing_id``) is kept as it is, so importing twice adds nothing.
"""

from __future__ import annotations

from pathlib import Path

import duckdb

from outsidein.errors import LoadError

__all__ = ["COLUMNS", "import_firings"]

COLUMNS = (
    "firing_id",
    "account_id",
    "playbook",
    "playbook_version",
    "variant",
    "reason",
    "context",
    "held_out",
    "actions",
    "fired_at",
)


def import_firings(con: duckdb.DuckDBPyConnection, path: Path) -> int:
    """Insert the firings of a Parquet file not stored yet; returns how many were added."""
    if not path.is_file():
        raise LoadError(f"{path}: no such file of firings")
    names = [
        r[0] for r in con.execute("DESCRIBE SELECT * FROM read_parquet(?)", [str(path)]).fetchall()
    ]
    missing = [c for c in COLUMNS if c not in names]
    if missing:
        raise LoadError(
            f"{path}: required column {missing[0]} missing "
            f"(a firings file has {', '.join(COLUMNS)})"
        )
    cols = ", ".join(COLUMNS)
    before = _count(con)
    con.execute(
        f"INSERT INTO playbook_firings ({cols}) SELECT {cols} FROM read_parquet(?) AS f "
        "WHERE NOT EXISTS (SELECT 1 FROM playbook_firings p WHERE p.firing_id = f.firing_id)",
        [str(path)],
    )
    return _count(con) - before


def _count(con: duckdb.DuckDBPyConnection) -> int:
    row = con.execute("SELECT count(*) FROM playbook_firings").fetchone()
    return int(row[0]) if row else 0
