"""``outsidein my-day [--csm ID]``: what needs a CSM today, panel by panel.

The same function as the My day page and ``/api/v1/my-day`` (:func:`outsidein.myday.my_day`);
while ``outsidein serve`` holds the store, the server answers.
"""

from __future__ import annotations

from typing import Annotated

import pyarrow as pa
import typer

from outsidein.cli.app import ConfigOption, DbOption, app, console, err_console, settings
from outsidein.cli.metrics import AsOf, Csm, Out, _date, _show
from outsidein.cli.server_client import Server, store_or_server
from outsidein.config import load_config
from outsidein.myday import DAYS, LIMIT, MyDay, my_day

COLUMNS = ["account_id", "account_name", "headline", "detail"]


@app.command("my-day")
def my_day_command(
    csm: Csm = None,
    days: Annotated[int, typer.Option(min=1, max=366, help="Days ahead and back")] = DAYS,
    limit: Annotated[int, typer.Option(min=1, max=500, help="Items per panel")] = LIMIT,
    as_of: AsOf = None,
    out: Out = None,
    db: DbOption = None,
    config: ConfigOption = None,
) -> None:
    """Renewals due, accounts gone quiet, health drops, new detractors, urgent cases."""
    chosen = settings(db, config)
    day_ = _date(as_of, "--as-of")
    with store_or_server(chosen.db, read_only=True) as store:
        if isinstance(store, Server):
            params = {"csm": csm, "days": days, "limit": limit, "as_of": day_}
            day = MyDay.model_validate(store.get("/api/v1/my-day", params))
        else:
            day = my_day(store, load_config(chosen.config), csm=csm, days=days, limit=limit,
                         as_of=day_)  # fmt: skip
    if out is not None:  # every panel's items, one row each, for a file
        rows = [{"panel": p.name, **i.model_dump(mode="json")} for p in day.panels for i in p.items]
        _show(pa.Table.from_pylist(rows) if rows else pa.table({"panel": []}), "", out)
        return
    if day.notice:
        err_console.print(f"[yellow]note:[/] {day.notice}", highlight=False)
    whose = f"CSM {day.csm}'s book" if day.csm else "every account"
    console.print(f"[bold]My day[/] for {whose}, as of {day.as_of}", highlight=False)
    for p in day.panels:
        if not p.items:
            console.print(f"[bold]{p.title}[/]: {p.empty}", highlight=False)
            continue
        rows = [i.model_dump(include=set(COLUMNS)) for i in p.items]
        more = f", first {len(p.items)}" if p.total > len(p.items) else ""
        _show(pa.Table.from_pylist(rows), f"{p.title} ({p.total}{more})", None, COLUMNS)
