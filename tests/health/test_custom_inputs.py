"""Custom fields of accounts feed health: loaded from a file, read as ``custom.<name>`` by
measures and assignment rules, and left out of a backtest (only today's value is kept)."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pyarrow as pa

from outsidein.health.backtest import backtest
from outsidein.health.engine import score
from outsidein.health.history import Scored
from outsidein.health.inputs import inputs_at
from outsidein.health.service import score_fn_for
from outsidein.ingest import load_file
from outsidein.settings.health import HealthConfig
from tests.health.conftest import CONFIG, D, at
from tests.ingest.helpers import write_csv

HEADER = ["account_id", "name", "created_at", "Plan Tier", "Licences", "Trial"]
CREATED = at(-400).isoformat()  # as seeded: a reload changes nothing but the custom fields
ROWS = [
    ["A-1", "One", CREATED, "Pro", "40", "no"],
    ["A-2", "Two", CREATED, "Basic", "5", "TRUE"],
]


def _health() -> HealthConfig:
    licences = {"field": "custom.licences", "scoring": {"kind": "linear", "low": 0, "high": 50}}
    return HealthConfig.model_validate(
        {
            "scorecards": {
                "pro": {"measures": {"licences": licences}},
                "main": {
                    "measures": {
                        "per_seat": {
                            "expr": "custom.licences * 10",
                            "scoring": {"kind": "linear", "low": 0, "high": 100},
                        }
                    }
                },
            },
            "assign": [
                {"scorecard": "pro", "when": 'custom.plan_tier = "Pro" and not custom.trial'}
            ],
            "default_scorecard": "main",
        }
    )


def test_custom_fields_are_inputs_typed_as_loaded(
    company: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    load_file(company, "accounts", write_csv(tmp_path / "crm.csv", HEADER, ROWS))
    table = inputs_at(company, D, config=CONFIG)
    assert table.schema.field("custom.licences").type == pa.float64()
    assert table.schema.field("custom.trial").type == pa.bool_()
    rows = {r["account_id"]: r for r in table.to_pylist()}
    assert (rows["A-1"]["custom.plan_tier"], rows["A-1"]["custom.licences"]) == ("Pro", 40.0)
    assert rows["A-2"]["custom.trial"] is True
    assert rows["A-3"]["custom.licences"] is None  # no value: missing, never 0
    narrowed = inputs_at(company, D, accounts=["A-2"], config=CONFIG)
    assert narrowed.to_pylist() == [rows["A-2"]]

    scored = {r["account_id"]: r for r in score(table, _health()).accounts.to_pylist()}
    assert (scored["A-1"]["scorecard"], scored["A-1"]["score"]) == ("pro", 80.0)  # 40 of 50
    assert (scored["A-2"]["scorecard"], scored["A-2"]["score"]) == ("main", 50.0)  # 5 x 10


def test_a_backtest_leaves_custom_fields_out_and_says_so(
    company: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    load_file(company, "accounts", write_csv(tmp_path / "crm.csv", HEADER, ROWS))
    seen: list[pa.Table] = []

    def score_fn(inputs: pa.Table) -> Scored:
        seen.append(inputs)
        return score_fn_for(_health())(inputs)

    report = backtest(company, score_fn, D, months=2, config=CONFIG)
    left = {lo.name: lo.reason for lo in report.left_out}
    assert "only today's value" in left["custom.licences"]
    assert {"custom.plan_tier", "custom.trial", "segment"} <= set(left)
    for inputs in seen:
        assert inputs.column("custom.licences").null_count == inputs.num_rows
