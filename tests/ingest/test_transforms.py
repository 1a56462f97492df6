"""Transforms: value maps, constants, several targets, coalesce, scale, derive, filters,
aggregation; checked before any row loads, literals bound as data (docs/loading.md)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pytest

from outsidein.errors import ConfigError, LoadError
from outsidein.ingest import load_file
from outsidein.ingest.transforms import cli_spec, compile_plan, merge_specs
from outsidein.settings.load import LoadSpec
from outsidein.store.tables import TABLES
from tests.ingest.helpers import write_csv

ACCOUNTS = ["id", "name", "created_at", "Segment", "region"]


def rows(con: duckdb.DuckDBPyConnection, sql: str) -> list[tuple[Any, ...]]:
    return con.execute(sql).fetchall()


def accounts(con: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "accounts.csv",
        ACCOUNTS,
        [["a1", "Acme", "2024-01-01", "Enterprise", "EMEA"], ["a2", "Beta", "2024-01-02",
         "Mid-Market", "AMER"], ["a3", "Test Co", "2024-01-03", "SMB", "AMER"]],
    )  # fmt: skip
    spec = cli_spec(maps=["id=account_id"], keep_extra=False)
    assert load_file(store_of(con), "accounts", path, transforms=spec).rows_rejected == 0


def store_of(con: duckdb.DuckDBPyConnection) -> duckdb.DuckDBPyConnection:
    return con


def test_one_source_feeds_several_targets(store: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "a.csv", ["id", "name", "created_at"], [["a1", "Acme", "2024-01-01"]]
    )
    spec = cli_spec(maps=["id=account_id", "name=name", "name=industry"])
    load_file(store, "accounts", path, transforms=spec)
    assert rows(store, "SELECT account_id, name, industry FROM accounts") == [
        ("a1", "Acme", "Acme")
    ]


def test_a_column_replaced_by_a_target_is_listed_as_ignored(
    store: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    path = write_csv(
        tmp_path / "a.csv",
        ["id", "name", "created_at", "industry"],
        [["a1", "A", "2024-01-01", "x"]],
    )
    spec = cli_spec(maps=["id=account_id"], sets=["industry=software"])
    result = load_file(store, "accounts", path, transforms=spec)
    assert result.ignored_columns == ["industry"] and result.custom_fields == []
    assert rows(store, "SELECT industry FROM accounts") == [("software",)]


def test_value_maps_ignore_case_unless_told(
    store: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    path = write_csv(tmp_path / "a.csv", ACCOUNTS, [
        ["a1", "Acme", "2024-01-01", "Enterprise", "emea"],
        ["a2", "Beta", "2024-01-02", " ENTERPRISE ", "amer"],
        ["a3", "Gamma", "2024-01-03", "Mid-Market", "amer"],
    ])  # fmt: skip
    spec = cli_spec(
        maps=["id=account_id"],
        values=["segment:enterprise=ent,*=other", "region:EMEA=Europe"],
    )
    load_file(store, "accounts", path, transforms=spec)
    assert rows(store, "SELECT segment, region FROM accounts ORDER BY account_id") == [
        ("ent", "Europe"), ("ent", "amer"), ("other", "amer"),
    ]  # fmt: skip
    exact = cli_spec(
        maps=["id=account_id"], values=["segment:Enterprise=ent"], values_case_sensitive=True
    )
    load_file(store, "accounts", path, transforms=exact)
    assert rows(store, "SELECT segment FROM accounts ORDER BY account_id") == [
        ("ent",), ("ENTERPRISE",), ("Mid-Market",),  # values are trimmed
    ]  # fmt: skip


def test_set_coalesce_scale_and_derive(store: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    accounts(store, tmp_path)
    path = write_csv(
        tmp_path / "subs.csv",
        ["sub", "customer", "plan", "cents", "billing", "start", "ended", "cancelled", "flag"],
        [
            ["s1", "a1", "Pro", "120000", "annual", "2024-01-01", "", "", "FALSE"],
            ["s2", "a2", "Basic", "4999", "monthly", "2024-01-01", "", "2024-03-01", "TRUE"],
            ["s3", "a3", "Basic", "1000", "Monthly", "2024-01-01", "2024-02-01", "", "false"],
        ],
    )
    spec = cli_spec(
        maps=["sub=subscription_id", "customer=account_id", "cents=mrr", "start=start_date"],
        coalesce=["end_date=ended,cancelled"],
        scale=["mrr=1/100", "mrr=1/12 if billing = annual"],
        derive=["status=churned if flag = true; ended if ended is not empty; else active"],
        sets=["currency=EUR"],
    )
    result = load_file(store, "subscriptions", path, transforms=spec)
    assert result.rows_rejected == 0, result.rejects
    assert rows(
        store, "SELECT subscription_id, mrr::VARCHAR, end_date::VARCHAR, status, currency "
        "FROM subscriptions ORDER BY 1"
    ) == [
        ("s1", "100.00", None, "active", "EUR"),
        ("s2", "49.99", "2024-03-01", "churned", "EUR"),
        ("s3", "10.00", "2024-02-01", "ended", "EUR"),
    ]  # fmt: skip


def test_where_drops_rows_and_says_how_many(
    store: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    path = write_csv(tmp_path / "a.csv", ACCOUNTS, [
        ["a1", "Acme", "2024-01-01", "SMB", "emea"],
        ["a2", "Test Account", "2024-01-02", "SMB", "amer"],
        ["a3", "Gamma", "2024-01-03", "", "amer"],
    ])  # fmt: skip
    spec = cli_spec(maps=["id=account_id"], where=["name not starts with test", "region != apac"])
    result = load_file(store, "accounts", path, transforms=spec)
    assert rows(store, "SELECT account_id FROM accounts ORDER BY 1") == [("a1",), ("a3",)]
    assert result.notes == ["1 rows left out by --where"]


def test_line_items_sum_into_one_invoice(store: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    accounts(store, tmp_path)
    path = write_csv(
        tmp_path / "lines.csv",
        ["invoice", "customer", "line_amount", "issued", "state"],
        [
            ["i1", "a1", "10.50", "2024-02-01", "paid"],
            ["i1", "a1", "4.25", "2024-02-01", "paid"],
            ["i2", "a2", "99", "2024-02-02", "paid"],
            ["i3", "a2", "5", "2024-02-03", "cancelled"],
            ["i4", "a3", "7", "2024-02-04", "paid"],
            ["i4", "a3", "seven", "2024-02-04", "paid"],
        ],
    )
    spec = cli_spec(
        maps=["invoice=invoice_id", "customer=account_id", "line_amount=amount",
              "issued=issued_at"],
        where=["state != cancelled"], group_by="invoice_id", sums=["amount"],
    )  # fmt: skip
    result = load_file(store, "invoices", path, transforms=spec)
    assert rows(store, "SELECT invoice_id, amount::VARCHAR FROM invoices ORDER BY 1") == [
        ("i1", "14.75"), ("i2", "99.00"),
    ]  # fmt: skip
    # A line that is not a number rejects its invoice, naming the value (never a smaller sum).
    assert [(r.line, r.column, r.value) for r in result.rejects] == [(6, "amount", "seven")]
    assert "5 lines combined into 3 rows by invoice_id" in result.notes


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"maps": ["nope=name"]}, r"--map nope=\.\.\.: the file has no column 'nope'"),
        ({"maps": ["id=account_id", "name=nope"]}, r"'nope' is not a column of accounts"),
        ({"maps": ["id=account_id"], "sets": ["account_id=x"]},
         r"account_id is given a value twice: by --map id=account_id and by --set"),
        ({"maps": ["id=account_id"], "values": ["industry:a=b"]},
         r"nothing gives industry a value; map a column to it"),
        ({"maps": ["id=account_id"], "where": ["colour = red"]},
         r"--where 'colour = red': the file has no column 'colour'"),
        ({"maps": ["id=account_id"], "sums": ["name"]}, r"--sum name needs --group-by"),
        ({"maps": ["id=account_id", "name=custom:Bad Name"]}, r"custom field names are lower"),
    ],
)  # fmt: skip
def test_a_spec_is_checked_before_any_row_loads(
    store: duckdb.DuckDBPyConnection, tmp_path: Path, options: dict[str, Any], message: str
) -> None:
    path = write_csv(tmp_path / "a.csv", ["id", "name", "created_at"], [["a1", "A", "2024-01-01"]])
    with pytest.raises(LoadError, match=message):
        load_file(store, "accounts", path, transforms=cli_spec(**options))
    assert rows(store, "SELECT count(*) FROM load_log") == [(0,)]


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"values": ["segment"]}, r"--values 'segment': expected TARGET:FROM=TO"),
        ({"scale": ["mrr=abc"]}, r"--scale 'mrr=abc': 'abc' is not a number or a fraction"),
        ({"scale": ["mrr=1/0"]}, r"division|other than 0|not a number"),
        ({"where": ["plan = "]}, r"--where 'plan = ': expected a value"),
        ({"where": ["plan is full"]}, r"--where 'plan is full': expected 'empty'"),
        ({"derive": ["status=active if"]}, r"--derive 'status=active if': expected a column"),
        ({"coalesce": ["end_date=a"]}, r"--coalesce 'end_date=a': name two or more columns"),
        ({"key_from": " , "}, r"--key-from: name the columns"),
    ],
)
def test_malformed_options_name_the_option(options: dict[str, Any], message: str) -> None:
    with pytest.raises((ConfigError, ZeroDivisionError), match=message):
        cli_spec(**options)


def test_the_command_line_wins_over_the_file_target_by_target() -> None:
    from_file = LoadSpec(map={"Plan": "plan", "Flag": "status"}, set={"currency": "USD"},
                         where=["a = 1"])  # fmt: skip
    cli = cli_spec(sets=["status=active"], where=["b = 2"])
    merged = merge_specs(from_file, cli)
    assert merged.map == {"Plan": "plan"}
    assert merged.set == {"currency": "USD", "status": "active"}
    assert merged.where == ["a = 1", "b = 2"]


SNAPSHOTS = Path(__file__).parent / "snapshots"


def _snapshot(name: str, text: str) -> None:
    path = SNAPSHOTS / name
    if not path.exists():  # a new snapshot is written once, then reviewed and committed
        path.write_text(text, encoding="utf-8")
    assert text == path.read_text(encoding="utf-8")


def test_generated_sql_has_identifiers_and_parameters_only() -> None:
    spec = cli_spec(
        maps=["Customer=account_id", "Plan=plan", "Plan=custom:plan_name", "Cents=mrr"],
        values=["plan:O'Reilly Pro=pro,*=other"],
        scale=["mrr=1/100", "mrr=1/12 if Billing = 'Annual; yearly'"],
        derive=['status=churned if "Churned?" = TRUE; ended if Ended < today; else active'],
        sets=["currency=E'UR"],
        where=["Customer not contains 'test'' OR 1=1 --'", "Seats >= 2", "Ended != 2024-01-31"],
        key_from="Customer,Plan,Start",
        group_by="account_id",
        sums=["mrr"],
    )
    names = ["Customer", "Plan", "Cents", "Billing", "Churned?", "Ended", "Seats", "Start"]
    types = {n: pa.string() for n in names}
    plan = compile_plan(spec, {}, names, types, TABLES["subscriptions"], "subs.csv")
    sql = plan.row_sql("_oi_source") + ";\n" + plan.group_sql("_oi_lines") + ";\n"
    for literal in ("O'Reilly", "Reilly", "churned", "Annual", "E''UR", "UR", "test", "1=1",
                    "2024-01-31", "0.01"):  # fmt: skip
        assert literal not in sql
    _snapshot("transforms_subscriptions.sql", sql.replace(", ", ",\n  "))
    bound = list(plan.params.values.values())
    assert (
        "O'Reilly Pro" in bound and "test' OR 1=1 --" in bound and "E'UR" in bound and 0.01 in bound
    )


def test_the_documented_examples_are_valid_configuration() -> None:
    import re
    import tomllib

    from outsidein.config import parse_config

    doc = (Path(__file__).parents[2] / "docs" / "loading.md").read_text(encoding="utf-8")
    section = doc.split("## Transforms, keys, custom fields", 1)[1]
    blocks = re.findall(r"```toml\n(.*?)```", section, flags=re.DOTALL)
    assert len(blocks) == 2
    for block in blocks:
        config = parse_config(tomllib.loads(block), "docs/loading.md")
        for kind, spec in config.load.items():
            names = [*spec.map, "Interval", "Canceled At", "Status", "Is Test Account", "Segment"]
            compile_plan(spec, {}, names, {}, TABLES[kind], "docs")


def test_the_command_line_wins_over_both_sections_of_the_file() -> None:
    from outsidein.ingest.transforms.options import load_inputs

    mapping, spec = load_inputs(
        {"Id": "account_id", "Co": "name"},  # [mapping.accounts]
        LoadSpec(map={"Name": "name", "Co": ["industry", "region"]}),  # [load.accounts]
        cli_spec(maps=["Name=industry"]),
    )
    assert mapping == {"Id": "account_id", "Co": "region", "Name": "industry"}
    assert spec.is_empty()
