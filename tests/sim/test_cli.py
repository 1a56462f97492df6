"""``outsidein simulate`` writes the files and shows a summary."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

import outsidein.cli.simulate  # noqa: F401  (registers the command)
from outsidein.cli.app import app
from outsidein.errors import InvalidRequestError


def test_simulate_command(tmp_path: Path) -> None:
    out = tmp_path / "company"
    args = ["simulate", "--accounts", "40", "--months", "4", "--seed", "3", "--out", str(out)]
    args += ["--as-of", "2025-02-01", "--events-per-user-day", "0.05"]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    assert "survey_responses" in result.output and "events" in result.output
    manifest = json.loads((out / "ground_truth" / "manifest.json").read_text())
    assert (manifest["accounts"], manifest["months"], manifest["seed"]) == (40, 4, 3)
    assert manifest["as_of"] == "2025-02-01"
    assert (out / "events" / "part-00000.parquet").is_file()


def test_simulate_rejects_a_bad_date(tmp_path: Path) -> None:
    args = ["simulate", "--out", str(tmp_path), "--as-of", "July"]
    result = CliRunner().invoke(app, args)
    assert result.exit_code != 0


def test_simulate_refuses_an_ancient_or_future_day(tmp_path: Path) -> None:
    """Year 1 overflowed the calendar with a traceback; it is now a clear refusal."""
    for day, words in (("0001-02-01", "before 1900-01-01"), ("2999-01-01", "in the future")):
        args = ["simulate", "--out", str(tmp_path), "--as-of", day, "--months", "3"]
        result = CliRunner().invoke(app, args)
        assert isinstance(result.exception, InvalidRequestError), result.output
        assert words in result.exception.message
