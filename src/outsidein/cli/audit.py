"""``outsidein audit list``: the audit log, newest first (docs/operations.md).

Read from the store, or from the server that holds it (``GET /api/v1/audit``), the same rows.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Annotated, Any

import typer
from rich.table import Table as RichTable

from outsidein.cli.app import DbOption, app, console, settings
from outsidein.cli.server_client import Server, store_or_server
from outsidein.store import audit

audit_app = typer.Typer(help="The audit log: who did what, when (UTC).", no_args_is_help=True)
app.add_typer(audit_app, name="audit")


@audit_app.command("list")
def list_(
    action: Annotated[
        str | None, typer.Option(help="An action or its prefix: key, config, backup, ...")
    ] = None,
    actor: Annotated[str | None, typer.Option(help="Only what this actor did")] = None,
    limit: Annotated[int, typer.Option(min=1, max=audit.MAX_LIMIT)] = 50,
    offset: Annotated[int, typer.Option(min=0)] = 0,
    db: DbOption = None,
) -> None:
    """List audit entries, newest first."""
    cfg = settings(db)
    with store_or_server(cfg.db, read_only=True) as source:
        if isinstance(source, Server):
            params = {"action": action, "actor": actor, "limit": limit, "offset": offset}
            got: dict[str, Any] = source.get("/api/v1/audit", params)
            entries, total = got["entries"], got["total"]
        else:
            page = audit.read(source, action=action, actor=actor, limit=limit, offset=offset)
            entries = [e.__dict__ for e in page.entries]
            total = page.total
    if not entries:
        console.print("nothing recorded" + (" that matches" if action or actor else ""))
        return
    table = RichTable("#", "when (UTC)", "actor", "action", "target", "detail")
    for e in entries:
        at = e["at"] if isinstance(e["at"], datetime) else datetime.fromisoformat(e["at"])
        detail = json.dumps(e["detail"], default=str) if e["detail"] else ""
        table.add_row(
            str(e["seq"]), f"{at:%Y-%m-%d %H:%M:%S}", e["actor"] or "", e["action"],
            e["target"] or "", detail,
        )  # fmt: skip
    console.print(table)
    shown = offset + len(entries)
    if shown < total:
        console.print(f"{shown:,} of {total:,}; --offset {shown} for more", highlight=False)
