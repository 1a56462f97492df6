"""The history's stored scores and contributions as the engine's :class:`Scores`, so that
:func:`outsidein.health.explain.explain` and ``what_moved`` explain a stored score exactly as
they explain a fresh one (one explanation, whichever the source)."""

from __future__ import annotations

from datetime import datetime

import duckdb
import pyarrow as pa

from outsidein.health.engine import CONTRIBUTION_SCHEMA, Scores, measure_infos
from outsidein.settings.health import Group, HealthConfig
from outsidein.web.queries.rows import fetch_dicts

__all__ = ["stored_scores"]


def _worst_paths(group: Group, prefix: str = "", under: bool = False) -> set[str]:
    """The measures with a worst-of group above them (their own included)."""
    worst = under or group.rollup == "worst"
    out = {f"{prefix}{name}" for name in group.measures} if worst else set()
    for name, child in group.groups.items():
        out |= _worst_paths(child, f"{prefix}{name}/", worst)
    return out


def stored_scores(
    cur: duckdb.DuckDBPyConnection, health: HealthConfig, rows: list[tuple[str, datetime]]
) -> Scores:
    """The stored scores and contributions of (account, valid_from) rows as the engine's
    :class:`Scores`. The history does not keep which measure set a worst-of: it is the one
    under a worst-of group whose effective weight is not 0 (the others' is, docs/health.md).
    """
    keys = pa.table(
        {
            "account_id": pa.array([r[0] for r in rows], pa.string()),
            "valid_from": pa.array([r[1] for r in rows], pa.timestamp("us")),
        }
    )
    cur.register("_oi_keys", keys)
    try:
        accounts = cur.sql(
            "SELECT s.account_id, s.scorecard, s.score, s.band FROM health_scores s "
            "JOIN _oi_keys k USING (account_id, valid_from)"
        ).to_arrow_table()
        parts = fetch_dicts(
            cur,
            "SELECT c.account_id, s.scorecard, c.measure, c.raw, c.points, c.weight, "
            "c.contribution, c.missing FROM health_contributions c "
            "JOIN _oi_keys k USING (account_id, valid_from) "
            "JOIN health_scores s USING (account_id, valid_from) ORDER BY c.measure",
        )
    finally:
        cur.unregister("_oi_keys")
    worst = {name: _worst_paths(card) for name, card in health.scorecards.items()}  # by scorecard
    for p in parts:
        p["set_score"] = bool(
            p["measure"] in worst.get(p["scorecard"], set())
            and not p["missing"]
            and p["weight"] > 0
        )
    contributions = pa.Table.from_pylist(parts) if parts else None
    return Scores(
        accounts,
        contributions if contributions is not None else _empty_contributions(),
        measure_infos(health),
    )


def _empty_contributions() -> pa.Table:
    return CONTRIBUTION_SCHEMA.empty_table()
