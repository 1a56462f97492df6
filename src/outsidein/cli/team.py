"""``outsidein team show|book|rebalance``: each CSM's book of business in the terminal.

The same reading as ``/api/v1/team`` (:func:`outsidein.team.team_report`, shaped by the API's
model), so the CLI, the API and the page show one figure; while ``outsidein serve`` holds the
store, that server answers.
"""

from __future__ import annotations

import urllib.parse
from datetime import date
from pathlib import Path
from typing import Annotated, Any

import duckdb
import pyarrow as pa
import typer

from outsidein.cli.app import ConfigOption, DbOption, app, console, settings
from outsidein.cli.health import _config
from outsidein.cli.metrics import Out, _date, _show
from outsidein.cli.server_client import Server, store_or_server
from outsidein.team import team_report
from outsidein.web.schemas.team import BookOut, TeamOut

team_app = typer.Typer(
    name="team",
    help="The team: books of business, capacity by tier, rebalancing.",
    no_args_is_help=True,
)
app.add_typer(team_app)

AsOf = Annotated[
    str | None, typer.Option("--as-of", help="A past day (YYYY-MM-DD) [the data's last day]")
]
TERMINAL_COLUMNS = ["csm_id", "accounts", "arr", "health", "open_tasks", "overdue_tasks",
                    "renewals", "utilisation", "after"]  # fmt: skip
MOVE_COLUMNS = ["account_id", "name", "tier", "arr", "from_csm", "to_csm"]


def fetch_team(
    store: duckdb.DuckDBPyConnection | Server,
    csm: str | None,
    as_of: date | None,
    config_path: Path | None,
) -> TeamOut:
    """The team report (one CSM's book when ``csm``), from the store or its server."""
    if isinstance(store, Server):
        path = "/api/v1/team"
        if csm is not None:
            path += "/" + urllib.parse.quote(csm, safe="")
        return TeamOut.model_validate(store.get(path, {"as_of": as_of}))
    current = _config(store, config_path, write=False)
    return TeamOut.of(team_report(store, current, as_of, csm=csm))


def book_row(b: BookOut, bands: list[str]) -> dict[str, Any]:
    """One CSM's figures as a flat row: one column per health band."""
    mix = {h.band: h.accounts for h in b.health}
    return {
        "csm_id": b.csm_id, "name": b.name, "accounts": b.accounts, "arr": b.arr, "mrr": b.mrr,
        **{band: mix.get(band, 0) for band in bands}, "no_score": mix.get(None, 0),
        "open_tasks": b.open_tasks, "overdue_tasks": b.overdue_tasks, "renewals": b.renewals,
        "renewal_arr": b.renewal_arr, "load": b.load, "capacity": b.capacity,
        "utilisation": b.utilisation, "over": b.over, "after": b.after,
    }  # fmt: skip


def _fetch(csm: str | None, as_of: str | None, db: Path | None, config: Path | None) -> TeamOut:
    chosen = settings(db, config)
    with store_or_server(chosen.db, read_only=True) as store:
        return fetch_team(store, csm, _date(as_of, "--as-of"), chosen.config)


def _moves(r: TeamOut, out: Path | None, title: str) -> None:
    rows = [m.model_dump() for m in r.rebalancing.moves]
    table = pa.Table.from_pylist(rows) if rows else pa.table({c: [] for c in MOVE_COLUMNS})
    _show(table, title, out, MOVE_COLUMNS)


@team_app.command("show")
def show_command(
    as_of: AsOf = None, out: Out = None, db: DbOption = None, config: ConfigOption = None
) -> None:
    """Each CSM's customers, ARR, health mix, tasks, renewals and capacity; tiers' coverage."""
    r = _fetch(None, as_of, db, config)
    if r.notice:
        console.print(r.notice, highlight=False)
    per_csm = f"{r.arr_per_csm:,.2f}" if r.arr_per_csm is not None else "-"
    over = sum(1 for b in r.books if b.over)
    rows = [book_row(b, r.bands) for b in r.books]
    if out is None:  # the terminal's narrow view: the health mix in one column
        rows = [{**row, "health": "/".join(str(row[band]) for band in r.bands)} for row in rows]
    _show(
        pa.Table.from_pylist(rows) if rows else pa.table({"csm_id": []}),
        f"{r.accounts:,} customers, {r.arr:,.2f} {r.currency} ARR on {r.as_of}, held by "
        f"{r.csms_holding} CSMs: {per_csm} {r.currency} ARR per CSM; {r.csms_needed} CSMs "
        f"needed by the tiers; {over} over capacity; {len(r.rebalancing.moves)} moves suggested"
        + (f"; {r.unassigned:,} customers with no CSM" if r.unassigned else "")
        + f" (health: {'/'.join(r.bands)})",
        out,
        None if out is not None else TERMINAL_COLUMNS,
    )
    if out is None:
        tiers = [t.model_dump() for t in r.tiers]
        _show(pa.Table.from_pylist(tiers), "capacity by tier", None,
              ["tier", "accounts", "arr", "accounts_per_csm", "actual_per_csm", "arr_per_csm",
               "csms_needed", "csms_holding", "unassigned"])  # fmt: skip


@team_app.command("book")
def book_command(
    csm: Annotated[str, typer.Argument(help="The CSM's id")],
    as_of: AsOf = None,
    out: Out = None,
    db: DbOption = None,
    config: ConfigOption = None,
) -> None:
    """One CSM's book: figures, suggested moves, and the customers (highest ARR first)."""
    r = _fetch(csm, as_of, db, config)
    b = r.books[0]
    mix = ", ".join(f"{h.accounts} {h.band or 'no score'}" for h in b.health) or "no customers"
    console.print(
        f"{b.name or b.csm_id} ({b.csm_id}) on {r.as_of}: {b.accounts:,} customers, "
        f"{b.arr:,.2f} {r.currency} ARR; health {mix}; {b.open_tasks} open tasks "
        f"({b.overdue_tasks} overdue); {b.renewals} renewals in {r.renewal_days} days "
        f"({b.renewal_arr:,.2f} {r.currency}); utilisation {b.utilisation:.0%} "
        f"(load {b.load:.2f}, capacity {b.capacity if b.capacity is not None else '-'}), "
        f"{b.after:.0%} after the suggested moves",
        highlight=False,
    )
    rows = [c.model_dump() for c in r.customers]
    columns = ["account_id", "name", "tier", "arr", "mrr", "score", "band", "renewal_date"]
    _show(pa.Table.from_pylist(rows) if rows else pa.table({c: [] for c in columns}),
          "customers", out, columns)  # fmt: skip
    if out is None:
        _moves(r, None, "suggested moves into or out of the book")


@team_app.command("rebalance")
def rebalance_command(
    as_of: AsOf = None, out: Out = None, db: DbOption = None, config: ConfigOption = None
) -> None:
    """The fewest moves that bring every book within capacity (docs/team.md#rebalancing)."""
    r = _fetch(None, as_of, db, config)
    plan = r.rebalancing
    title = (
        f"{len(plan.moves)} moves ({plan.arr_moved:,.2f} {r.currency} ARR) bring "
        f"{len(plan.over_before)} books over capacity within it"
    )
    if plan.unresolved:
        title += f"; still over, no room left: {', '.join(plan.unresolved)}"
    _moves(r, out, title)


__all__ = ["book_row", "fetch_team", "team_app"]
