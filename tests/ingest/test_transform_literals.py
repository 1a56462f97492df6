"""Hypothesis: any literal in a transform is data. Set as a constant, used as a value-map
key and value, or compared in a filter, it arrives exactly as written (``O'Reilly`` is a
name, ``'; DROP TABLE accounts; --`` too)."""

from __future__ import annotations

from pathlib import Path

import duckdb
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from outsidein.ingest import load_file
from outsidein.ingest.transforms import cli_spec
from outsidein.settings.load import LoadSpec
from outsidein.store import connect
from tests.ingest.helpers import write_csv, write_jsonl

# Any text but NUL, not empty and without surrounding spaces (values are compared trimmed).
# The file is JSON Lines or CSV (where only an empty cell is missing: "NA", "null" are data).
LITERALS = st.text(
    st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"),
    min_size=1,
    max_size=40,
).filter(lambda s: s.strip() == s and s != "*")


def _quoted(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


@settings(
    max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(name=LITERALS, industry=LITERALS, fmt=st.sampled_from(["jsonl", "csv"]))
def test_any_literal_round_trips_as_data(
    tmp_path: Path, name: str, industry: str, fmt: str
) -> None:
    folder = tmp_path / str(abs(hash((name, industry, fmt))))
    folder.mkdir(exist_ok=True)
    records = [
        {"id": "a1", "label": name, "created_at": "2024-01-01"},
        {"id": "a2", "label": "other", "created_at": "2024-01-01"},
    ]
    path = (
        write_jsonl(folder / "a.jsonl", records)
        if fmt == "jsonl"
        else write_csv(folder / "a.csv", list(records[0]), [list(r.values()) for r in records])
    )
    con: duckdb.DuckDBPyConnection = connect(folder / "s.duckdb")
    try:
        spec = LoadSpec(
            map={"id": "account_id", "label": ["name", "region"]},
            set={"industry": industry},
            values={"region": {name: industry}},
            values_case_sensitive=True,
            where=[f"label = {_quoted(name)} or label = other"],
        )
        result = load_file(con, "accounts", path, transforms=spec)
        assert result.rows_rejected == 0, result.rejects
        stored = con.execute(
            "SELECT name, industry, region FROM accounts WHERE account_id = 'a1'"
        ).fetchall()
        assert stored == [(name, industry, industry)]
        # The same literal on the command line, where a backslash escapes \\ , and = .
        escaped = name.replace("\\", "\\\\").replace(",", "\\,").replace("=", "\\=")
        cli = cli_spec(values=[f"region:{escaped}={escaped}"], values_case_sensitive=True)
        assert cli.values == {"region": {name: name}}
    finally:
        con.close()
