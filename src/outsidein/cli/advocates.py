"""``outsidein advocates list``: advocate candidates with their champion and reason.

The same reading as ``/api/v1/advocates`` (:func:`outsidein.tiers.advocates.advocates`,
shaped by the API's model); while ``outsidein serve`` holds the store, that server answers.
"""

from __future__ import annotations

from typing import Annotated

import pyarrow as pa
import typer

from outsidein.cli.app import ConfigOption, DbOption, app, console, settings
from outsidein.cli.health import _config
from outsidein.cli.metrics import Csm, Out, _date, _show
from outsidein.cli.server_client import Server, store_or_server
from outsidein.tiers.advocates import advocates
from outsidein.tiers.read import resolve_day
from outsidein.web.schemas.tiers import AdvocateList

advocates_app = typer.Typer(
    name="advocates", help="Advocate candidates: healthy promoters.", no_args_is_help=True
)
app.add_typer(advocates_app)

COLUMNS = ["account_id", "name", "champion_name", "champion_email", "health", "nps", "reason"]


@advocates_app.command("list")
def list_command(
    csm: Csm = None,
    as_of: Annotated[str | None, typer.Option("--as-of", help="A past day [today]")] = None,
    limit: Annotated[int, typer.Option(min=1, max=1000, help="Rows to show")] = 100,
    out: Out = None,
    db: DbOption = None,
    config: ConfigOption = None,
) -> None:
    """Healthy promoters with broad adoption, healthiest first, with why and whom to ask."""
    chosen = settings(db, config)
    day = _date(as_of, "--as-of")
    with store_or_server(chosen.db, read_only=True) as store:
        if isinstance(store, Server):
            found = AdvocateList.model_validate(
                store.get("/api/v1/advocates", {"csm": csm, "as_of": day, "limit": limit})
            )
        else:
            current = _config(store, chosen.config, write=False)
            when = resolve_day(day)
            rows = advocates(
                store, when, current.advocates,
                key_features=len(current.analytics.key_features), csm=csm,
            )  # fmt: skip
            found = AdvocateList.of(when, csm, rows)
            found = found.model_copy(update={"advocates": found.advocates[:limit]})
    data = [a.model_dump() for a in found.advocates]
    table = pa.Table.from_pylist(data) if data else pa.table({c: [] for c in COLUMNS})
    if out is None:
        console.print(f"{found.total:,} advocate candidates on {found.as_of}", highlight=False)
    _show(table, f"the first {len(data):,}", out, COLUMNS)
