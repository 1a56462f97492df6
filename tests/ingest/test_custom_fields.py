"""Custom fields: unmapped columns kept, typed, per record, with their load."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import duckdb
import pytest

from outsidein.errors import LoadError, NotFoundError
from outsidein.ingest import load_file
from outsidein.ingest.transforms import cli_spec
from outsidein.store import custom_fields
from tests.ingest.helpers import write_csv

HEADER = ["account_id", "name", "created_at", "Plan Tier", "Seats", "Trial", "Renewal", "Note"]
ROWS = [
    ["a1", "Acme", "2024-01-01", "Pro", "12", "TRUE", "2025-01-01", "x"],
    ["a2", "Beta", "2024-01-01", "Basic", "3.5", "no", "2025-02-01", "7"],
    ["a3", "Gamma", "2024-01-01", "", "", "", "", ""],
]


def test_unmapped_columns_are_kept_typed(store: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "a.csv", HEADER, ROWS)
    result = load_file(store, "accounts", path)
    assert result.custom_fields == ["plan_tier", "seats", "trial", "renewal", "note"]
    assert result.ignored_columns == []
    kinds = {f["name"]: f["type"] for f in custom_fields.fields(store, "accounts")}
    assert kinds == {"plan_tier": "text", "seats": "number", "trial": "bool",
                     "renewal": "date", "note": "text"}  # fmt: skip
    table = custom_fields.values(store, "accounts", ["seats", "trial", "renewal", "plan_tier"])
    assert table.to_pylist() == [
        {"account_id": "a1", "seats": 12.0, "trial": True, "renewal": date(2025, 1, 1),
         "plan_tier": "Pro"},
        {"account_id": "a2", "seats": 3.5, "trial": False, "renewal": date(2025, 2, 1),
         "plan_tier": "Basic"},
    ]  # fmt: skip
    (one,) = [
        f for f in custom_fields.record_values(store, "accounts", "a1") if f["name"] == "seats"
    ]
    assert one["value"] == 12.0 and one["source"] == str(path.resolve())


def test_a_reload_updates_blanks_and_widens(
    store: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    load_file(store, "accounts", write_csv(tmp_path / "a.csv", HEADER, ROWS))
    later = [["a1", "Acme", "2024-01-01", "", "many", "TRUE", "2025-01-01", "x"]]
    load_file(store, "accounts", write_csv(tmp_path / "b.csv", HEADER, later))
    kinds = {f["name"]: f["type"] for f in custom_fields.fields(store, "accounts")}
    assert kinds["seats"] == "text"  # "many" is not a number: the field is text from now on
    table = custom_fields.values(store, "accounts", ["plan_tier", "seats"]).to_pylist()
    assert table == [{"account_id": "a1", "plan_tier": None, "seats": "many"},
                     {"account_id": "a2", "plan_tier": "Basic", "seats": "3.5"}]  # fmt: skip


def test_no_keep_extra_and_explicit_custom_maps(
    store: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    path = write_csv(tmp_path / "a.csv", HEADER, ROWS)
    spec = cli_spec(maps=["Seats=custom:licences"], keep_extra=False)
    result = load_file(store, "accounts", path, transforms=spec)
    assert result.custom_fields == ["licences"]
    assert result.ignored_columns == ["Plan Tier", "Trial", "Renewal", "Note"]
    assert [f["name"] for f in custom_fields.fields(store)] == ["licences"]


def test_only_entities_keep_custom_fields(store: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "csms.csv", ["csm_id", "name", "Desk"], [["c1", "Ann", "4B"]])
    assert load_file(store, "csms", path).ignored_columns == ["Desk"]
    with pytest.raises(LoadError, match="custom fields are kept for accounts, contacts"):
        load_file(store, "csms", path, transforms=cli_spec(maps=["Desk=custom:desk"]))
    with pytest.raises(NotFoundError, match="no custom field nope on accounts"):
        custom_fields.values(store, "accounts", ["nope"])
