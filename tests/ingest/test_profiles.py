"""Issue 19, items 6 and 7: ready profiles for common exports, and the mapping assistant.

The fixtures in ``fixtures/profiles/`` are written from each tool's documented column list
(README.md there names the page). Each loads with its profile and one command; the
assistant, given no profile, proposes the right target for the columns each profile maps.
"""

from __future__ import annotations

import tomllib
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest
from typer.testing import CliRunner

from outsidein.cli import app
from outsidein.errors import ConfigError
from outsidein.ingest.formats import ReadOptions
from outsidein.ingest.inspect import inspect_file
from outsidein.ingest.inspect_preview import preview_load
from outsidein.ingest.profiles import profile, profile_names

FIXTURES = Path(__file__).parent / "fixtures" / "profiles"
REQUIRED = {
    "stripe-customers", "stripe-subscriptions", "stripe-invoices", "hubspot-companies",
    "hubspot-contacts", "salesforce-accounts", "salesforce-opportunities", "zendesk-tickets",
    "posthog-events",
}  # fmt: skip


def test_every_profile_has_a_fixture_citing_its_documentation() -> None:
    readme = (FIXTURES / "README.md").read_text(encoding="utf-8")
    assert set(profile_names()) >= REQUIRED
    for name in profile_names():
        found = profile(name)
        assert (FIXTURES / f"{name}.csv").exists(), name
        assert found.docs.startswith("https://") and found.docs in readme, name
        header = (FIXTURES / f"{name}.csv").read_text(encoding="utf-8").splitlines()[0]
        for source in found.load.map:  # a profile maps only columns the export has
            assert source in header.split(","), (name, source)


def _load(db: Path, kind: str, file: Path, *options: str) -> str:
    result = CliRunner().invoke(app, ["load", kind, str(file), "--db", str(db), *options])
    assert result.exit_code == 0, result.output
    return result.output


def test_every_fixture_loads_with_its_profile(tmp_path: Path) -> None:
    db = tmp_path / "s.duckdb"
    # The help desk's organisations and the product's groups are known ids of the accounts.
    accounts = tmp_path / "accounts.csv"
    accounts.write_text(
        "id,name,created_at,zendesk_org,product_group\n"
        "a1,Acme,2024-01-01,509974,grp_acme\n"
        "a2,Globex,2024-01-01,509975,grp_globex\n"
        "a3,Initech,2024-01-01,509976,grp_initech\n",
        encoding="utf-8",
    )
    _load(db, "accounts", accounts, "--map", "id=account_id", "--map", "zendesk_org=ext:zendesk",
          "--map", "product_group=ext:product")  # fmt: skip
    order = [
        "hubspot-companies", "hubspot-contacts", "stripe-customers", "stripe-subscriptions",
        "stripe-invoices", "salesforce-accounts", "salesforce-opportunities", "zendesk-tickets",
        "posthog-events",
    ]  # fmt: skip
    for name in order:
        output = _load(db, profile(name).kind, FIXTURES / f"{name}.csv", "--profile", name)
        assert " 0 rejected" in " ".join(output.split()), (name, output)  # exit 1 otherwise
    con = duckdb.connect(str(db), read_only=True)
    try:
        subs = dict(con.execute("SELECT subscription_id, mrr FROM subscriptions").fetchall())
        assert subs["sub_1MowQVGlobex0001"] == Decimal("200.00")  # 240000 cents a year / 12
        assert subs["sub_1MowQVLkdIwHu7ix"] == Decimal("499.00")
        status = con.execute(
            "SELECT status, end_date FROM subscriptions WHERE subscription_id = ?",
            ["sub_1MowQVInitech001"],
        ).fetchall()[0]
        assert status[0] == "ended" and str(status[1]) == "2023-11-14"
        invoices = dict(con.execute("SELECT invoice_id, amount FROM invoices").fetchall())
        assert len(invoices) == 2  # the void one left out
        assert invoices["in_1MtHbELkdIwHu7ixl4OzzPMv"] == Decimal("499.00")
        cases = dict(con.execute("SELECT case_id, account_id FROM cases").fetchall())
        assert cases == {"35436": "a1", "35437": "a2", "35438": "a3"}
        held = con.execute("SELECT status FROM cases WHERE case_id = '35438'").fetchall()
        assert held == [("pending",)]
        events = con.execute("SELECT account_id, count(*) FROM events GROUP BY 1").fetchall()
        assert sorted(events) == [("a1", 1), ("a2", 1), ("a3", 1)]
        contracts = con.execute("SELECT count(*), min(term_months) FROM contracts").fetchall()
        assert contracts == [(2, 12)]  # won opportunities only
    finally:
        con.close()


def _figures() -> tuple[int, int, int, int]:
    """(right, mapped) over the columns the profiles map, and (right, all) over every
    column: a column a profile leaves out is right when the assistant proposes nothing."""
    con = duckdb.connect(":memory:")
    right = mapped = right_all = every = 0
    for name in profile_names():
        expected = profile(name).load.map
        found = inspect_file(con, profile(name).kind, FIXTURES / f"{name}.csv")
        for col in found.columns:
            want = expected.get(col.name)
            every += 1
            right_all += col.target == want
            if want is not None:
                mapped += 1
                right += col.target == want
    return right, mapped, right_all, every


def test_inspect_proposes_the_profiles_targets() -> None:
    right, mapped, right_all, every = _figures()
    share = right / mapped
    print(
        f"\n--inspect without a profile: {right}/{mapped} mapped columns right ({share:.1%}); "
        f"{right_all}/{every} of all columns ({right_all / every:.1%})"
    )
    assert share >= 0.9


def test_inspect_reads_types_formats_and_values(store: duckdb.DuckDBPyConnection) -> None:
    found = inspect_file(store, "subscriptions", FIXTURES / "stripe-subscriptions.csv")
    cols = {c.name: c for c in found.columns}
    assert cols["start_date"].inferred == "epoch" and found.formats["start_date"] == "epoch"
    assert cols["cancel_at_period_end"].inferred == "bool"
    assert found.spec.values["status"] == {"canceled": "ended"}
    tickets = inspect_file(store, "cases", FIXTURES / "zendesk-tickets.csv")
    assert tickets.spec.values["status"] == {"hold": "pending"}


def test_preview_shows_the_first_rejects_and_writes_nothing(
    store: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    found = inspect_file(store, "subscriptions", FIXTURES / "stripe-subscriptions.csv")
    formats = ReadOptions(formats=found.formats)
    preview = preview_load(store, "subscriptions", FIXTURES / "stripe-subscriptions.csv",
                           found.spec, formats)  # fmt: skip
    assert preview.result is not None and preview.result.rows_rejected == 3
    assert "unknown account_id" in preview.result.rejects[0].reason
    assert store.execute("SELECT count(*) FROM load_log").fetchall() == [(0,)]


def test_inspect_save_writes_a_mapping_the_next_load_uses(tmp_path: Path) -> None:
    db, config = tmp_path / "s.duckdb", tmp_path / "outsidein.toml"
    config.write_text('[store]\nearliest_date = "1990-01-01"\n', encoding="utf-8")
    file = FIXTURES / "hubspot-companies.csv"
    result = CliRunner().invoke(
        app, ["load", "accounts", str(file), "--inspect", "--save", "--db", str(db),
              "--config", str(config)],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "Record ID" in result.output and "3 would load" in result.output
    saved = tomllib.loads(config.read_text(encoding="utf-8"))
    assert saved["store"] == {"earliest_date": "1990-01-01"}  # the rest of the file kept
    assert saved["load"]["accounts"]["map"]["Record ID"] == "account_id"
    output = _load(db, "accounts", file, "--config", str(config))
    assert "3 new" in output


def test_a_profile_for_another_kind_is_refused(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        app, ["load", "accounts", str(FIXTURES / "zendesk-tickets.csv"), "--profile",
              "zendesk-tickets", "--db", str(tmp_path / "s.duckdb")],
    )  # fmt: skip
    assert isinstance(result.exception, ConfigError)  # main() prints it, exit status 2
    assert "loads cases, not accounts" in result.exception.message


@pytest.mark.parametrize("name", sorted(REQUIRED))
def test_each_profile_is_valid_transforms(name: str) -> None:
    found = profile(name)
    assert found.kind and found.docs
