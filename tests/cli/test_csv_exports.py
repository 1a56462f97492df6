"""CSV exports neutralise spreadsheet formulas (OWASP): text cells, never numbers."""

from __future__ import annotations

import csv
from pathlib import Path

import pyarrow as pa
from typer.testing import CliRunner

from outsidein.cli import app
from outsidein.exports import neutralise_formulas
from outsidein.ingest import load_file
from outsidein.store import connect
from tests.ingest.helpers import write_csv

RISKY = ['=HYPERLINK("http://x")', "+1+2", "-2+3", "@SUM(A1)", "\tTabbed", "\rReturn"]


def test_text_cells_that_start_a_formula_get_a_quote_and_numbers_stay() -> None:
    table = pa.table(
        {
            "name": [*RISKY, "Acme", None, "a=b"],
            "kind": pa.array(["=x"] * 9).dictionary_encode(),
            "delta": [-5, 1, 2, 3, 4, 5, 6, 7, 8],
        }
    )
    safe = neutralise_formulas(table)
    assert safe.column("name").to_pylist() == [*("'" + v for v in RISKY), "Acme", None, "a=b"]
    assert safe.column("kind").to_pylist() == ["'=x"] * 9
    assert safe.column("delta").to_pylist() == table.column("delta").to_pylist()


def test_accounts_list_out_csv_is_safe_to_open(tmp_path: Path) -> None:
    db = tmp_path / "s.duckdb"
    con = connect(db)
    rows = [[f"x{i}", name, "2024-01-01"] for i, name in enumerate(RISKY)]
    load_file(
        con, "accounts", write_csv(tmp_path / "a.csv", ["account_id", "name", "created_at"], rows)
    )
    con.close()
    (tmp_path / "none.toml").write_text("", encoding="utf-8")
    out = tmp_path / "accounts.csv"
    done = CliRunner().invoke(
        app,
        [
            "accounts",
            "list",
            "--out",
            str(out),
            "--db",
            str(db),
            "--config",
            str(tmp_path / "none.toml"),
        ],
    )
    assert done.exit_code == 0, done.output
    with open(out, newline="", encoding="utf-8") as handle:
        names = {row["name"] for row in csv.DictReader(handle)}
    assert names == {"'" + name for name in RISKY}
