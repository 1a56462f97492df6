"""``outsidein tiers show|list|history|compute``: touch tiers and their coverage in the terminal.

The same readings as ``/api/v1/tiers`` (:mod:`outsidein.tiers.read`, shaped by the API's
models), so the CLI, the API and the pages show one figure; while ``outsidein serve`` holds
the store, that server answers. ``compute`` records today's tiers (and, with ``--since``, the
first of each month before), as the server's step does.
"""

from __future__ import annotations

import urllib.parse
from datetime import date
from pathlib import Path
from typing import Annotated

import duckdb
import pyarrow as pa
import typer

from outsidein.analytics.today import utc_today
from outsidein.cli.app import ConfigOption, DbOption, app, console, settings
from outsidein.cli.health import _config
from outsidein.cli.metrics import Csm, Out, _date, _show
from outsidein.cli.server_client import Server, open_for_writing, store_or_server
from outsidein.tiers import read
from outsidein.tiers.service import backfill
from outsidein.web.schemas.tiers import AccountTierOut, TierAccountList, TiersOut

tiers_app = typer.Typer(
    name="tiers", help="Touch tiers: coverage, accounts, history.", no_args_is_help=True
)
app.add_typer(tiers_app)

AsOf = Annotated[str | None, typer.Option("--as-of", help="A past day (YYYY-MM-DD) [today]")]
COVERAGE_COLUMNS = ["csm_id", "name", "accounts", "arr", "load"]


def fetch_report(
    store: duckdb.DuckDBPyConnection | Server,
    csm: str | None,
    as_of: date | None,
    config_path: Path | None,
) -> TiersOut:
    """The tiers report, from the store or the server that holds it."""
    if isinstance(store, Server):
        return TiersOut.model_validate(store.get("/api/v1/tiers", {"csm": csm, "as_of": as_of}))
    current = _config(store, config_path, write=False)
    found = read.report(store, current.tiers, as_of, csm=csm)
    return TiersOut.of(found, current.analytics.reporting_currency)


@tiers_app.command("show")
def show_command(
    csm: Csm = None, as_of: AsOf = None, out: Out = None, db: DbOption = None,
    config: ConfigOption = None,
) -> None:  # fmt: skip
    """Accounts, ARR and CSMs needed per tier, and each CSM's load."""
    chosen = settings(db, config)
    with store_or_server(chosen.db, read_only=True) as store:
        r = fetch_report(store, csm, _date(as_of, "--as-of"), chosen.config)
    if r.notice:
        console.print(r.notice, highlight=False)
    rows = [t.model_dump() for t in r.tiers]
    _show(
        pa.Table.from_pylist(rows),
        f"{r.accounts:,} customers, {r.arr:,.2f} {r.currency} ARR on {r.as_of}: "
        f"{r.csms_needed} CSMs needed, {r.csms_actual} holding the book",
        out,
        ["tier", "accounts", "arr", "accounts_per_csm", "actual_per_csm", "csms_needed",
         "csms_holding", "unassigned"],
    )  # fmt: skip
    if out is None:
        people = [
            {"csm_id": p.csm_id, "name": p.name, "accounts": p.accounts, "arr": p.arr,
             "load": p.load, **{f"{t.tier}": t.accounts for t in p.tiers}}
            for p in r.csms
        ]  # fmt: skip
        table = pa.Table.from_pylist(people) if people else pa.table({"csm_id": []})
        _show(table, "coverage per CSM (load 1 = a full book)", None)


@tiers_app.command("list")
def list_command(
    tier: Annotated[str | None, typer.Option("--tier", help="Only this tier")] = None,
    csm: Csm = None,
    as_of: AsOf = None,
    limit: Annotated[int, typer.Option(min=1, max=500, help="Rows to show")] = 50,
    out: Out = None,
    db: DbOption = None,
    config: ConfigOption = None,
) -> None:
    """The customers of a tier (or all), highest ARR first."""
    chosen = settings(db, config)
    day = _date(as_of, "--as-of")
    with store_or_server(chosen.db, read_only=True) as store:
        if isinstance(store, Server):
            found = TierAccountList.model_validate(
                store.get("/api/v1/tiers/accounts",
                          {"tier": tier, "csm": csm, "as_of": day, "page_size": limit})
            )  # fmt: skip
        else:
            found = TierAccountList.of(
                read.list_accounts(store, day, tier=tier, csm=csm, page_size=limit)
            )
    rows = [a.model_dump() for a in found.accounts]
    columns = ["account_id", "name", "tier", "arr", "potential", "valid_from", "csm_id"]
    table = pa.Table.from_pylist(rows) if rows else pa.table({c: [] for c in columns})
    _show(table, f"{found.total:,} customers on {found.as_of}", out, columns)


@tiers_app.command("history")
def history_command(
    account_id: Annotated[str, typer.Argument(help="The account's id")],
    db: DbOption = None,
) -> None:
    """One account's tier today and every change."""
    chosen = settings(db, None)
    with store_or_server(chosen.db, read_only=True) as store:
        if isinstance(store, Server):
            path = "/api/v1/tiers/accounts/" + urllib.parse.quote(account_id, safe="")
            found = AccountTierOut.model_validate(store.get(path, {}))
        else:
            found = AccountTierOut.of(read.account_tier(store, account_id))
    since = f" since {found.since}" if found.since else ""
    console.print(f"{found.account_id}: {found.tier or 'no tier'}{since}", highlight=False)
    rows = [h.model_dump() for h in found.history]
    columns = ["valid_from", "tier", "arr", "potential", "config_version"]
    _show(pa.Table.from_pylist(rows) if rows else pa.table({c: [] for c in columns}),
          "history", None, columns)  # fmt: skip


@tiers_app.command("compute")
def compute_command(
    since: Annotated[
        str | None,
        typer.Option("--since", help="Also record the first of each month from this day"),
    ] = None,
    every: Annotated[int, typer.Option("--every", min=1, max=12, help="Months apart")] = 1,
    db: DbOption = None,
    config: ConfigOption = None,
) -> None:
    """Record today's tiers (and earlier months with --since) with the rules in force."""
    chosen = settings(db, config)

    def instead(server: Server) -> str:
        return "it keeps tiers current itself (step 'tiers' on /status)"

    first = _date(since, "--since")
    today = utc_today()
    con = open_for_writing(chosen.db, "tiers compute", instead, chosen.memory_limit)
    try:
        current = _config(con, chosen.config, write=True)
        with console.status("recording tiers..."):
            runs = backfill(con, current, first or today, today, every_months=every)
    finally:
        con.close()
    if not runs:
        console.print("nothing to record: tiers are recorded past these days", highlight=False)
        return
    written = sum(r.written for r in runs)
    console.print(
        f"recorded {len(runs)} day(s) from {runs[0].as_of} to {runs[-1].as_of} with "
        f"configuration version {runs[-1].config_version}: {written:,} changes",
        highlight=False,
    )


__all__ = ["fetch_report", "tiers_app"]
