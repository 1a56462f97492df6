"""``outsidein impact list|show|import``: the measured effect of each playbook.

The same computation and response shape as ``/api/v1/impact`` and the Impact page
(:mod:`outsidein.impact`, :mod:`outsidein.impact.report`); while ``outsidein serve`` holds
the store, that server answers. ``import`` adds past firings from a Parquet file.
"""

from __future__ import annotations

import urllib.parse
from pathlib import Path
from typing import Annotated

import duckdb
import pyarrow as pa
import typer

from outsidein.cli.app import ConfigOption, DbOption, app, console, settings
from outsidein.cli.metrics import Out, _show
from outsidein.cli.server_client import Server, open_for_writing, store_or_server
from outsidein.impact import estimate_all, estimate_play, import_firings
from outsidein.impact.report import (
    ImpactList,
    PlayImpactOut,
    PlaySummary,
    play_out,
    summary_out,
)

impact_app = typer.Typer(
    name="impact",
    help="The measured effect of each playbook on usage, health and churn.",
    no_args_is_help=True,
)
app.add_typer(impact_app)

RANKED_BY = "active_users_28"
COLUMNS = ["playbook", "design", "outcome", "effect", "ci_low", "ci_high", "treated", "control"]


def fetch_list(store: duckdb.DuckDBPyConnection | Server) -> ImpactList:
    if isinstance(store, Server):
        return ImpactList.model_validate(store.get("/api/v1/impact", {}))
    return ImpactList(ranked_by=RANKED_BY, plays=[summary_out(p) for p in estimate_all(store)])


def fetch_play(store: duckdb.DuckDBPyConnection | Server, playbook: str) -> PlayImpactOut:
    if isinstance(store, Server):
        path = "/api/v1/impact/" + urllib.parse.quote(playbook, safe="")
        return PlayImpactOut.model_validate(store.get(path, {}))
    return play_out(estimate_play(store, playbook))


def _rows(plays: list[PlaySummary]) -> list[dict[str, object]]:
    def fmt(v: float | None) -> object:
        return None if v is None else round(v, 4)

    return [
        {
            "playbook": p.playbook,
            "design": p.design,
            "outcome": e.outcome,
            "effect": fmt(e.effect),
            "ci_low": fmt(e.ci_low),
            "ci_high": fmt(e.ci_high),
            "treated": e.treated,
            "control": e.control,
        }
        for p in plays
        for e in p.estimates
    ]


@impact_app.command("list")
def list_command(out: Out = None, db: DbOption = None, config: ConfigOption = None) -> None:
    """Every fired playbook's effect with its 95 % interval, largest on active users first."""
    chosen = settings(db, config)
    with store_or_server(chosen.db, read_only=True) as store:
        found = fetch_list(store)
    rows = _rows(found.plays)
    if not rows:
        console.print("no playbook has fired yet: nothing to measure")
        return
    _show(pa.Table.from_pylist(rows), "Impact of each playbook (95 % intervals)", out, COLUMNS)
    for p in found.plays:
        for w in p.warnings:
            console.print(f"[yellow]{p.playbook}:[/] {w}", highlight=False)


@impact_app.command("show")
def show_command(
    playbook: Annotated[str, typer.Argument(help="The playbook's name")],
    out: Out = None,
    db: DbOption = None,
    config: ConfigOption = None,
) -> None:
    """One playbook: its estimates, event study, assumptions and warnings."""
    chosen = settings(db, config)
    with store_or_server(chosen.db, read_only=True) as store:
        p = fetch_play(store, playbook)
    if out is not None:
        _show(pa.Table.from_pylist(_rows([p])), "", out)
        return
    console.print(
        f"[bold]{p.playbook}[/]: {p.method}; {p.treated:,} treated, {p.held_out:,} held out, "
        f"{p.controls:,} compared; fired {p.first_fired} to {p.last_fired}",
        highlight=False,
    )
    _show(pa.Table.from_pylist(_rows([p])), "Effects (95 % intervals)", None, COLUMNS)
    if p.event_study:
        events = [e.model_dump() for e in p.event_study]
        _show(pa.Table.from_pylist(events), "Active users by months from the firing", None)
    if p.pretrend_p is not None:
        console.print(f"pre-trends: joint test p = {p.pretrend_p:.3f}", highlight=False)
    for a in p.assumptions:
        console.print(f"assumes: {a}", highlight=False)
    for w in p.warnings:
        console.print(f"[yellow]warning:[/] {w}", highlight=False)


@impact_app.command("import")
def import_command(
    file: Annotated[Path, typer.Argument(help="A Parquet file of firings")],
    db: DbOption = None,
    config: ConfigOption = None,
) -> None:
    """Add past firings (interventions recorded before Outside-In) to the store."""
    chosen = settings(db, config)
    con = open_for_writing(
        chosen.db,
        "outsidein impact import",
        lambda server: "stop the server, import, then start it again",
    )
    try:
        added = import_firings(con, file)
    finally:
        con.close()
    console.print(f"imported {added:,} firings from {file}", highlight=False)
