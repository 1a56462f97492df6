"""``outsidein journey state|interruptions``: where each account is in its journey, and where
journeys break (docs/journey.md). The shapes are :mod:`outsidein.journey.report`'s, the same
as the API's."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Annotated, Any

import duckdb
import typer
from rich.markup import escape
from rich.table import Table as RichTable

from outsidein.cli.app import ConfigOption, DbOption, console, settings
from outsidein.cli.journey import Json, _day, journey_app
from outsidein.config import load_config
from outsidein.journey.report import end_of, interruptions_report, states_report
from outsidein.settings.journey import INTERRUPTION_KINDS
from outsidein.store import connect

AsOf = Annotated[
    str | None, typer.Option("--as-of", help="Data up to the end of this day (YYYY-MM-DD); today")
]
Account = Annotated[str | None, typer.Option("--account", help="One account's")]


def _when(con: duckdb.DuckDBPyConnection, as_of: str | None) -> datetime:
    """The end of the ``--as-of`` day (today's, or the data's last): as the API reads it."""
    day = _day(as_of, "--as-of")
    return end_of(con, day.date() if day else None)


def _json(value: Any) -> None:
    console.print_json(json.dumps(value, default=lambda v: v.isoformat()))


@journey_app.command("state")
def state_command(
    account: Account = None,
    stage: Annotated[str | None, typer.Option("--stage", help="Accounts in this stage")] = None,
    as_of: AsOf = None,
    top: Annotated[int, typer.Option("--top", min=1, max=100_000, help="Accounts shown")] = 50,
    as_json: Json = False,
    db: DbOption = None,
    config: ConfigOption = None,
) -> None:
    """Each account's journey stage, time in stage and stage history."""
    s = settings(db, config)
    journey = load_config(s.config).journey
    con = connect(s.db, read_only=True)
    try:
        when = _when(con, as_of)
        report = states_report(
            con, journey, when, accounts=[account] if account else None, stage=stage, limit=top
        )
    finally:
        con.close()
    if as_json:
        _json(report)
        return
    counts = ", ".join(f"{r['stage']} {r['accounts']:,}" for r in report["by_stage"])
    console.print(f"{report['total']:,} accounts at {when:%Y-%m-%d %H:%M}: {counts or 'none'}")
    table = RichTable("account", "stage", "since", "days", "history")
    for r in report["items"]:
        since = r["since"].strftime("%Y-%m-%d") if r["since"] else ""
        path = " > ".join(f"{e['stage']} {e['at']:%Y-%m-%d}" for e in r["history"])
        days = "" if r["days_in_stage"] is None else f"{r['days_in_stage']:.0f}"
        table.add_row(r["account_id"], r["stage"] or "", since, days, escape(path))
    console.print(table)


@journey_app.command("interruptions")
def interruptions_command(
    account: Account = None,
    kind: Annotated[
        str | None, typer.Option("--kind", help=f"One of {', '.join(INTERRUPTION_KINDS)}")
    ] = None,
    function: Annotated[str | None, typer.Option("--function", help="Of this function")] = None,
    stage: Annotated[str | None, typer.Option("--stage", help="In this stage")] = None,
    open_only: Annotated[bool, typer.Option("--open", help="Still going on only")] = False,
    days: Annotated[int, typer.Option("--days", min=1, max=3650, help="Days before as-of")] = 90,
    as_of: AsOf = None,
    top: Annotated[int, typer.Option("--top", min=1, max=100_000, help="Rows shown")] = 50,
    as_json: Json = False,
    db: DbOption = None,
    config: ConfigOption = None,
) -> None:
    """Where journeys break: interruptions with their evidence, by function and stage."""
    if kind is not None and kind not in INTERRUPTION_KINDS:
        raise typer.BadParameter(
            f"{kind!r}: one of {', '.join(INTERRUPTION_KINDS)}", param_hint="--kind"
        )
    s = settings(db, config)
    journey = load_config(s.config).journey
    con = connect(s.db, read_only=True)
    try:
        when = _when(con, as_of)
        report = interruptions_report(
            con, journey, when, days=days, accounts=[account] if account else None,
            kind=kind, function=function, stage=stage, open_only=open_only, limit=top,
        )  # fmt: skip
    finally:
        con.close()
    if as_json:
        _json(report)
        return
    kinds = ", ".join(f"{r['kind']} {r['count']:,}" for r in report["by_kind"])
    fcr = report["first_contact_resolution"]
    console.print(
        f"{report['total']:,} interruptions ({report['open']:,} open) on "
        f"{report['accounts']:,} accounts from {report['since']:%Y-%m-%d} to "
        f"{when:%Y-%m-%d %H:%M}: {kinds or 'none'}"
    )
    if fcr is not None:
        console.print(
            f"first-contact resolution {fcr:.1%} of {report['cases_closed']:,} closed cases"
        )
    agg = RichTable("function", "stage", "total", "accounts", "kinds")
    for r in report["by_function_stage"][:20]:
        mix = ", ".join(f"{k} {n}" for k, n in r["kinds"].items())
        agg.add_row(r["function"], r["stage"], str(r["total"]), str(r["accounts"]), mix)
    console.print(agg)
    table = RichTable("when", "kind", "account", "function", "stage", "evidence")
    for r in report["items"]:
        table.add_row(
            f"{r['at']:%Y-%m-%d}", r["kind"], r["account_id"], r["function"] or "",
            r["stage"] or "", escape(r["evidence"]),
        )  # fmt: skip
    console.print(table)
