"""An XES log loaded as touchpoints (``outsidein journey load-xes``): every event lands, the
store's journey equals the log's, a second load duplicates nothing, and mapping problems are
one message naming the file, trace, event and field."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pyarrow as pa
import pytest
from typer.testing import CliRunner

from outsidein.cli import app
from outsidein.journey import dfg, from_frame, variants
from outsidein.journey.errors import EventLogError
from outsidein.journey.store_log import touchpoint_log
from outsidein.journey.xes_load import load_xes_touchpoints, parse_function_map
from outsidein.store import connect

from .conftest import eventlog_path

SMALL = """<?xml version="1.0" encoding="utf-8" ?>
<log xes.version="1849-2016" xmlns="http://www.xes-standard.org/">
  <trace><string key="concept:name" value="T1"/><string key="customer" value="acme"/>
    <event><string key="concept:name" value="Open"/><string key="org:group" value="Desk"/>
      <date key="time:timestamp" value="2024-03-01T09:00:00+00:00"/></event>
    <event><string key="concept:name" value="Fix"/><string key="org:group" value="Lab"/>
      <date key="time:timestamp" value="2024-03-02T09:00:00+00:00"/></event>
  </trace>
  <trace><string key="concept:name" value="T2"/><string key="customer" value="globex"/>
    <event><string key="concept:name" value="Open"/><string key="org:group" value="Desk"/>
      <date key="time:timestamp" value="2024-03-03T09:00:00+00:00"/></event>
    <event><string key="concept:name" value="Bill"/><string key="org:group" value="Money"/>
      <date key="time:timestamp" value="2024-03-04T09:00:00+00:00"/></event>
  </trace>
</log>
"""


@pytest.fixture
def small_log(tmp_path: Path) -> Path:
    path = tmp_path / "small.xes"
    path.write_text(SMALL)
    return path


def test_helpdesk_lands_whole_and_reads_back_as_the_log(
    helpdesk: pa.Table, store: duckdb.DuckDBPyConnection
) -> None:
    path = eventlog_path("helpdesk")
    done = load_xes_touchpoints(
        store, path, account_from="customer", case_from="case:concept:name",
        function="support", add_accounts=True,
    )  # fmt: skip
    assert done.events == 21_348 == done.touchpoints.rows_inserted
    assert done.touchpoints.rows_rejected == 0 and done.cases is not None
    assert done.cases.rows_inserted == 4_580
    assert store.execute("SELECT count(*) FROM touchpoints").fetchall()[0][0] == 21_348
    stored = touchpoint_log(store, case="case", activity="channel")
    log = from_frame(helpdesk)
    assert dfg(stored).edges() == dfg(log).edges()
    assert [(v.activities, v.cases) for v in variants(stored)] == [
        (v.activities, v.cases) for v in variants(log)
    ]
    again = load_xes_touchpoints(
        store, path, account_from="customer", case_from="case:concept:name",
        function="support", add_accounts=True,
    )  # fmt: skip
    assert again.accounts is None and again.cases is None  # nothing new to create
    assert store.execute("SELECT count(*) FROM touchpoints").fetchall()[0][0] == 21_348


def test_functions_by_map_and_unknown_accounts_to_the_rejects(
    small_log: Path, store: duckdb.DuckDBPyConnection
) -> None:
    store.execute(
        "INSERT INTO accounts (account_id, name, created_at, source, loaded_at) "
        "VALUES ('acme', 'Acme', '2024-01-01', 'test', now()::TIMESTAMP)"
    )
    done = load_xes_touchpoints(
        store, small_log, account_from="case:customer",
        function_map=parse_function_map(["Desk=support", "Lab=product", "Money=billing"]),
    )  # fmt: skip
    assert (done.touchpoints.rows_inserted, done.touchpoints.rows_rejected) == (2, 2)
    assert sorted((r.line, r.value) for r in done.touchpoints.rejects) == [
        (3, "globex"),
        (4, "globex"),
    ]  # the events' places in the file
    rows = store.execute(
        'SELECT touchpoint_id, channel, "function", outcome FROM touchpoints ORDER BY 1'
    ).fetchall()
    assert rows == [
        ("xes-small-T1-000000", "Open", "support", "neutral"),
        ("xes-small-T1-000001", "Fix", "product", "neutral"),
    ]


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"account_from": "client"}, "small.xes: no attribute 'client' (the account) in the log"),
        (
            {"account_from": "case:customer", "function_map": {"Desk": "support"}},
            "small.xes: 2 events have no function: org:group 'Lab', 'Money' (trace 'T1' event "
            "2, trace 'T2' event 2); map each with --function-map 'Lab=support'",
        ),
        (
            {"account_from": "case:customer", "function": "legal"},
            "--function 'legal': one of sales",
        ),
    ],
)
def test_mapping_problems_stop_before_anything_is_written(
    small_log: Path, store: duckdb.DuckDBPyConnection, options: dict[str, object], message: str
) -> None:
    with pytest.raises(EventLogError) as caught:
        load_xes_touchpoints(store, small_log, **options)  # type: ignore[arg-type]
    assert message in str(caught.value)
    assert store.execute("SELECT count(*) FROM load_log").fetchall()[0][0] == 0


def test_a_function_map_names_our_functions() -> None:
    assert parse_function_map(["Desk 2=support"]) == {"Desk 2": "support"}
    with pytest.raises(EventLogError, match="'supp' is not a function"):
        parse_function_map(["Desk=supp"])
    with pytest.raises(EventLogError, match="write VALUE=FUNCTION"):
        parse_function_map(["support"])


def test_the_command_loads_and_says_what_landed(small_log: Path, db_path: Path) -> None:
    connect(db_path).close()
    result = CliRunner().invoke(
        app,
        ["journey", "load-xes", str(small_log), "--db", str(db_path), "--account-from",
         "case:customer", "--function", "support", "--add-accounts"],
        env={"COLUMNS": "200"},
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "4 events read" in result.output
    assert "touchpoints ← small.xes (XES events): 4 rows read, 4 new" in result.output
