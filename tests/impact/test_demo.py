"""``outsidein demo`` shows the planted plays: their firings are imported and measured."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from outsidein.cli import app as cli_app
from outsidein.sim.plays import PLAYS

pytestmark = pytest.mark.slow  # a whole demo run


def test_the_demo_imports_and_measures_the_planted_plays(tmp_path: Path) -> None:
    db = tmp_path / "store.duckdb"
    common = ["--db", str(db), "--config", str(tmp_path / "outsidein.toml")]
    demo = CliRunner().invoke(
        cli_app,
        ["demo", "--accounts", "80", "--months", "12", "--no-serve",
         "--data", str(tmp_path / "company"), *common],
    )  # fmt: skip
    assert demo.exit_code == 0, demo.output
    assert "past firings of the planted plays imported" in demo.output
    out = tmp_path / "impact.csv"
    listed = CliRunner().invoke(cli_app, ["impact", "list", "--out", str(out), *common])
    assert listed.exit_code == 0, listed.output
    text = out.read_text(encoding="utf-8")
    for play in PLAYS:
        assert play.name in text
