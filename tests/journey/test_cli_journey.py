"""``outsidein journey discover|funnel|handovers`` through the real CLI."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest
from typer.testing import CliRunner, Result

from outsidein.cli import app
from outsidein.journey import dfg, from_frame, read_xes, variants

from .conftest import eventlog_path
from .test_store_log import small  # noqa: F401  (the hand-built store)


def run(*args: str) -> Result:
    return CliRunner().invoke(app, list(args), env={"COLUMNS": "200"})


def test_discover_an_xes_file_as_json() -> None:
    path = eventlog_path("helpdesk")
    result = run("journey", "discover", "--xes", str(path), "--top", "3", "--json")
    assert result.exit_code == 0, result.output
    out = json.loads(result.output)
    log = from_frame(read_xes(path))
    assert (out["events"], out["cases"], out["variants_total"]) == (21_348, 4_580, 226)
    counts = dfg(log).edges()
    assert [(e["from"], e["to"], e["count"]) for e in out["edges"]] == sorted(
        ((a, b, n) for (a, b), n in counts.items()), key=lambda x: (-x[2], x[0], x[1])
    )[:3]
    first = variants(log)[0]
    assert out["variants"][0] == {"steps": list(first.activities), "cases": first.cases}


def test_discover_funnel_and_handovers_from_the_store(
    small: duckdb.DuckDBPyConnection,  # noqa: F811
    db_path: Path,
) -> None:
    small.close()
    result = run("journey", "discover", "--db", str(db_path), "--activity", "function")
    assert result.exit_code == 0, result.output
    assert "7 events, 3 cases, 3 activities; 3 directly-follows edges, 3 variants" in result.output
    assert "marketing → sales → sales → support" in result.output
    funnel = run("journey", "funnel", "--db", str(db_path), "--json")
    assert funnel.exit_code == 0, funnel.output
    assert [s["reached"] for s in json.loads(funnel.output)] == [3, 2, 1, 1, 0]
    hand = run("journey", "handovers", "--db", str(db_path))
    assert hand.exit_code == 0 and "support" in hand.output and "billing" in hand.output
    churn = run("journey", "churn-paths", "--db", str(db_path), "--as-of", "2026-02-01", "--json")
    assert churn.exit_code == 0, churn.output
    paths = json.loads(churn.output)  # nobody churned: each account's last steps, retained
    assert [(p["churned"], p["retained"]) for p in paths] == [(0, 1)] * 3
    assert ["sales: demo", "sales: contract", "support: ticket"] in [p["steps"] for p in paths]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--xes", "/no/such/file.xes"], "no such XES file"),
        (["--since", "31/01/2026"], "--since '31/01/2026': a day as YYYY-MM-DD"),
    ],
)
def test_bad_input_is_one_clear_line(args: list[str], message: str, db_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "outsidein", "journey", "discover", "--db", str(db_path), *args],
        capture_output=True,
        text=True,
        env={**os.environ, "COLUMNS": "200"},
        timeout=120,
    )
    assert done.returncode == 2, done.stdout + done.stderr
    assert "Traceback" not in done.stderr
    assert done.stderr.startswith("error: ") and message in " ".join(done.stderr.split())
