"""Every file matches the canonical tables: columns, types, allowed values, ranges, rules."""

from __future__ import annotations

import duckdb
import pyarrow.parquet as pq
import pytest

from outsidein.sim import KINDS, SimulationSummary
from outsidein.store.tables import TABLES

from .conftest import AS_OF

TYPES = {
    "text": "string",
    "json": "string",
    "int": "int32",
    "decimal": "decimal128(18, 2)",
    "double": "double",
    "date": "date32[day]",
    "timestamp": "timestamp[us]",
    "bool": "bool",
}


def test_one_file_per_kind(company: SimulationSummary) -> None:
    assert set(company.paths) == set(KINDS) == set(TABLES)
    for kind in KINDS:
        assert company.counts[kind] > 0, kind
        if kind == "events":
            assert company.paths[kind].is_dir()
            assert len(company.event_parts) >= 2
        else:
            assert company.paths[kind] == company.paths[kind].parent / f"{kind}.parquet"


@pytest.mark.parametrize("kind", KINDS)
def test_columns_and_types_are_canonical(company: SimulationSummary, kind: str) -> None:
    path = company.paths[kind]
    files = sorted(path.glob("*.parquet")) if path.is_dir() else [path]
    for file in files:
        schema = pq.read_schema(file)
        assert tuple(schema.names) == TABLES[kind].column_names
        for col in TABLES[kind].columns:
            assert str(schema.field(col.name).type) == TYPES[col.type], (kind, col.name)


def test_event_parts_are_bounded(company: SimulationSummary) -> None:
    sizes = [pq.ParquetFile(p).metadata.num_rows for p in company.event_parts]
    assert max(sizes) <= 20_000
    assert sum(sizes) == company.counts["events"]
    names = [p.name for p in company.event_parts]
    assert names == [f"part-{i:05d}.parquet" for i in range(len(names))]


@pytest.mark.parametrize("kind", KINDS)
def test_values_meet_the_column_rules(con: duckdb.DuckDBPyConnection, kind: str) -> None:
    table = TABLES[kind]
    total = con.execute(f"SELECT count(*) FROM {kind}").fetchone()
    assert total is not None and total[0] > 0
    for col in table.columns:
        name = f'"{col.name}"'
        checks = []
        if col.required:
            checks.append(f"{name} IS NULL")
        if col.allowed:
            listed = ", ".join(f"'{v}'" for v in col.allowed)
            checks.append(f"{name} NOT IN ({listed})")
        if col.min_value is not None:
            checks.append(f"{name} < {col.min_value}")
        if col.max_value is not None:
            checks.append(f"{name} > {col.max_value}")
        if col.type in ("date", "timestamp"):
            checks.append(f"{name} >= DATE '{AS_OF.isoformat()}'")
        if col.type == "json":
            checks.append(f"{name} IS NOT NULL AND NOT json_valid({name})")
        for check in checks:
            bad = con.execute(f"SELECT count(*) FROM {kind} WHERE {check}").fetchone()
            assert bad == (0,), f"{kind}: {check}"
    for rule in table.rules:
        bad = con.execute(f"SELECT count(*) FROM {kind} WHERE {rule.sql_violation}").fetchone()
        assert bad == (0,), f"{kind}: {rule.reason}"


@pytest.mark.parametrize("kind", KINDS)
def test_keys_are_unique_and_references_resolve(con: duckdb.DuckDBPyConnection, kind: str) -> None:
    table = TABLES[kind]
    row = con.execute(f"SELECT count(*), count(DISTINCT {table.key}) FROM {kind}").fetchone()
    assert row is not None and row[0] == row[1]
    for col in table.columns:
        if col.references is None:
            continue
        target, target_col = col.references.split(".")
        missing = con.execute(
            f"SELECT count(*) FROM {kind} WHERE {col.name} IS NOT NULL AND {col.name} NOT IN "
            f"(SELECT {target_col} FROM {target})"
        ).fetchone()
        assert missing == (0,), f"{kind}.{col.name} -> {col.references}"


def test_other_ids_resolve(con: duckdb.DuckDBPyConnection) -> None:
    for kind in ("touchpoints", "cases", "survey_responses"):
        missing = con.execute(
            f"SELECT count(*) FROM {kind} WHERE contact_id IS NOT NULL "
            "AND contact_id NOT IN (SELECT contact_id FROM contacts)"
        ).fetchone()
        assert missing == (0,), kind
    missing = con.execute(
        "SELECT count(*) FROM accounts WHERE csm_id NOT IN (SELECT csm_id FROM csms)"
    ).fetchone()
    assert missing == (0,)
    for kind in ("gt_accounts", "gt_health"):
        missing = con.execute(
            f"SELECT count(*) FROM {kind} WHERE account_id NOT IN (SELECT account_id FROM accounts)"
        ).fetchone()
        assert missing == (0,), kind


def test_vocabularies(con: duckdb.DuckDBPyConnection) -> None:
    def values(sql: str) -> set[str]:
        return {r[0] for r in con.execute(sql).fetchall()}

    assert values("SELECT DISTINCT segment FROM accounts") == {"smb", "mid_market", "enterprise"}
    assert values("SELECT DISTINCT role FROM contacts") == {
        "champion",
        "executive_sponsor",
        "admin",
        "user",
    }
    assert values("SELECT DISTINCT kind FROM survey_responses") == {"nps", "csat", "outcome"}
    assert values("SELECT DISTINCT stage FROM touchpoints") == {
        "awareness",
        "consideration",
        "acquisition",
        "service",
        "loyalty",
    }
    assert values("SELECT DISTINCT function FROM touchpoints") == set(
        TABLES["touchpoints"].column("function").allowed
    )
    assert values("SELECT DISTINCT outcome FROM touchpoints") == {"success", "failed", "neutral"}
    assert values("SELECT DISTINCT priority FROM cases") == {"low", "normal", "high", "urgent"}
    assert "support,product" in values("SELECT DISTINCT functions FROM cases")
    assert {"active", "ended", "churned"} <= values("SELECT DISTINCT status FROM subscriptions")
    assert values("SELECT DISTINCT currency FROM subscriptions") <= {"USD", "EUR", "GBP"}
    assert len(values("SELECT DISTINCT event FROM events")) >= 8
    statements = values("SELECT statement FROM outcomes")
    assert 20 <= len(statements) <= 40
    assert all(s.startswith(("Minimize", "Increase")) for s in statements)
