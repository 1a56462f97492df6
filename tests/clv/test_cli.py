"""``outsidein clv fit|score|report`` on a real store file."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner, Result

from outsidein.cli import app
from outsidein.store import connect
from tests.clv import company


def run(*args: str) -> Result:
    return CliRunner().invoke(app, list(args), env={"COLUMNS": "200"})


def test_fit_score_report(tmp_path: Path) -> None:
    db = tmp_path / "store.duckdb"
    con = connect(db)
    company.build(con)
    con.close()
    day = company.AS_OF.isoformat()
    empty = run("clv", "report", "--db", str(db))
    assert "run `outsidein clv score` first" in str(empty.exception)
    fit = run("clv", "fit", "--db", str(db), "--as-of", day)
    assert fit.exit_code == 0, fit.output
    assert "bgnbd" in fit.output and "sbg_1m" in fit.output and "gammagamma" in fit.output
    scored = run("clv", "score", "--db", str(db), "--as-of", day)
    assert scored.exit_code == 0, scored.output
    con = connect(db, read_only=True)
    stored = con.execute("SELECT count(*), count(DISTINCT family) FROM clv_scores").fetchone()
    con.close()
    assert stored is not None and stored[1] == 2 and stored[0] > 400
    assert f"scored {stored[0]:,} accounts as of {day}" in scored.output
    report = run("clv", "report", "--db", str(db), "--holdout", "13", "--top", "5")
    assert report.exit_code == 0, report.output
    assert "transactional: BG/NBD + Gamma-Gamma" in report.output
    assert "contractual: sBG x ARR" in report.output
    assert "holdout 13 weeks: predicted" in report.output
    assert "RFM groups:" in report.output
