"""docs/metrics.md cannot go stale: every setting, snapshot column and output is in it."""

from __future__ import annotations

from pathlib import Path

from outsidein.analytics import AnalyticsConfig
from outsidein.analytics.pipeline import OUTPUTS

ROOT = Path(__file__).resolve().parents[2]
DOC = (ROOT / "docs" / "metrics.md").read_text(encoding="utf-8")
MIGRATION = ROOT / "src" / "outsidein" / "store" / "migrations" / "0003_analytics.sql"


def test_every_analytics_setting_is_documented() -> None:
    for name in AnalyticsConfig.model_fields:
        assert f"`analytics.{name}`" in DOC, name
    configuration = (ROOT / "docs" / "configuration.md").read_text(encoding="utf-8")
    for name in AnalyticsConfig.model_fields:
        assert f"`analytics.{name}`" in configuration, name


def test_every_snapshot_column_and_output_is_documented() -> None:
    sql = MIGRATION.read_text(encoding="utf-8")
    table = sql.split("CREATE TABLE account_daily_metrics (", 1)[1].split(");", 1)[0]
    columns = [line.split()[0].strip('"') for line in table.strip().splitlines()]
    section = DOC.split("### The daily snapshot", 1)[1].split("\n## ", 1)[0]
    for column in columns:
        assert f"`{column}`" in section, column
    for name in OUTPUTS:
        assert f"`{name}`" in DOC, name


def test_every_metrics_command_is_documented() -> None:
    from outsidein.cli.metrics import metrics_app

    for command in metrics_app.registered_commands:
        assert f"`outsidein metrics {command.name}" in DOC, command.name
