"""``outsidein rejects list|show|clear``: the rows loads refused, with the fix for each reason.

The same queries as ``/api/v1/rejects`` and the Rejects pages (:mod:`outsidein.ingest.rejects`);
while ``outsidein serve`` holds the store, that server answers (and clears). ``--format csv``
writes cells a spreadsheet cannot take for formulas; ``--format json`` the API's answer.
"""

from __future__ import annotations

import csv
import json
import sys
import urllib.parse
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table as RichTable

from outsidein.cli.app import ConfigOption, DbOption, app, console, settings
from outsidein.cli.server_client import Server, store_or_server
from outsidein.display import spreadsheet_safe
from outsidein.ingest.rejects import (
    Cleared,
    RejectDetail,
    RejectLoad,
    RejectLoadList,
    clear_rejects,
    list_reject_loads,
    load_rejects,
)
from outsidein.store import TABLES

rejects_app = typer.Typer(
    name="rejects",
    help="Rows that loads refused: by field and reason with the fix, line by line, cleared.",
    no_args_is_help=True,
)
app.add_typer(rejects_app)


class Output(StrEnum):
    table = "table"
    csv = "csv"
    json = "json"


FormatOption = Annotated[
    Output, typer.Option("--format", help="table (default), csv (spreadsheet-safe) or json")
]
PageOption = Annotated[int, typer.Option("--page", min=1, max=1_000_000, help="Page to show")]
LoadArgument = Annotated[
    str, typer.Argument(help="The load id (its first characters will do), as `rejects list` shows")
]


@rejects_app.command("list")
def list_command(
    kind: Annotated[
        str | None, typer.Option("--kind", help=f"Only loads of: {', '.join(TABLES)}")
    ] = None,
    file: Annotated[
        str | None, typer.Option("--file", help="Only loads of this file (path or name)")
    ] = None,
    page: PageOption = 1,
    page_size: Annotated[int, typer.Option("--page-size", min=1, max=200)] = 20,
    output: FormatOption = Output.table,
    db: DbOption = None,
    config: ConfigOption = None,
) -> None:
    """Loads with rejects, newest first, each counted by field and reason with the fix."""
    name = _stored_name(file) if file else None
    with store_or_server(settings(db, config).db, read_only=True) as store:
        if isinstance(store, Server):
            params = {"kind": kind, "file": name, "page": page, "page_size": page_size}
            found = RejectLoadList.model_validate(store.get("/api/v1/rejects", params))
        else:
            found = list_reject_loads(store, kind=kind, file=name, page=page, page_size=page_size)
    if output is Output.json:
        _print_json(found.model_dump(mode="json"))
        return
    if output is Output.csv:
        header = ["load_id", "kind", "file", "loaded_at", "rows_read", "rows_rejected", "column",
                  "problem", "fix", "count", "first_line", "example"]  # fmt: skip
        _write_csv(
            header,
            [
                [
                    load.load_id,
                    load.kind,
                    load.file,
                    load.loaded_at,
                    load.rows_read,
                    load.rows_rejected,
                    g.column,
                    g.problem,
                    g.fix,
                    g.count,
                    g.first_line,
                    g.example,
                ]
                for load in found.items
                for g in load.groups
            ],
        )
        return
    if not found.items:
        console.print("no rejects: every load so far stored all its rows", highlight=False)
        return
    for load in found.items:
        _print_load(load)
    shown = (found.page - 1) * found.page_size + len(found.items)
    if shown < found.total:
        console.print(
            f"{shown:,} of {found.total:,} loads: `outsidein rejects list --page {page + 1}`",
            highlight=False,
        )


@rejects_app.command("show")
def show_command(
    load: LoadArgument,
    column: Annotated[
        str | None, typer.Option("--field", help="Only this field's problems")
    ] = None,
    page: PageOption = 1,
    page_size: Annotated[int, typer.Option("--page-size", min=1, max=200)] = 50,
    output: FormatOption = Output.table,
    db: DbOption = None,
    config: ConfigOption = None,
) -> None:
    """One load's rejected lines: line, field, value and reason, a page at a time."""
    with store_or_server(settings(db, config).db, read_only=True) as store:
        if isinstance(store, Server):
            path = f"/api/v1/rejects/{urllib.parse.quote(load, safe='')}"
            params = {"column": column, "page": page, "page_size": page_size}
            detail = RejectDetail.model_validate(store.get(path, params))
        else:
            detail = load_rejects(store, load, column=column, page=page, page_size=page_size)
    if output is Output.json:
        _print_json(detail.model_dump(mode="json"))
        return
    if output is Output.csv:
        _write_csv(
            ["line", "column", "value", "reason", "problem", "fix"],
            [[r.line, r.column, r.value, r.reason, r.problem, r.fix] for r in detail.items],
        )
        return
    _print_load(detail.load)
    lines = RichTable("line", "field", "value", "what is wrong", title_justify="left",
                      title=f"rejected lines{f' ({column})' if column else ''}")  # fmt: skip
    for r in detail.items:
        cells = [str(r.line or ""), r.column or "", r.value or "", r.problem]
        lines.add_row(*(escape(cell) for cell in cells))
    console.print(lines)
    last = (detail.total + detail.page_size - 1) // detail.page_size
    if last > 1:
        more = f": `outsidein rejects show {detail.load.load_id} --page {page + 1}`"
        console.print(
            f"page {page} of {last} ({detail.total:,} problems){more if page < last else ''}",
            highlight=False,
        )


@rejects_app.command("clear")
def clear_command(
    load: Annotated[str | None, typer.Argument(help="The load id whose rejects to delete")] = None,
    file: Annotated[
        str | None, typer.Option("--file", help="Delete the rejects of every load of this file")
    ] = None,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation")] = False,
    db: DbOption = None,
    config: ConfigOption = None,
) -> None:
    """Delete the rejects of one load, or of a file; the load log keeps its counts."""
    if (load is None) == (file is None):
        raise typer.BadParameter("name a LOAD id or a --file, not both", param_hint="LOAD")
    name = _stored_name(file) if file else None
    with store_or_server(settings(db, config).db, read_only=False) as store:
        if isinstance(store, Server):
            where = f"/{urllib.parse.quote(load, safe='')}" if load else ""
            preview = _remote_preview(store, load, name)
            _confirm(preview, yes)
            answer = store.call("DELETE", f"/api/v1/rejects{where}", {"file": name})
            cleared = Cleared.model_validate(answer)
        else:
            preview = (
                [load_rejects(store, load, page_size=1).load]
                if load
                else list_reject_loads(store, file=name, page_size=200).items
            )
            _confirm(preview, yes)
            cleared = clear_rejects(store, load_id=load, file=name)
    console.print(
        f"deleted {cleared.deleted:,} rejects of {len(cleared.load_ids)} "
        f"load{'s' if len(cleared.load_ids) != 1 else ''}",
        highlight=False,
    )


def _remote_preview(server: Server, load: str | None, name: str | None) -> list[RejectLoad]:
    if load:
        path = f"/api/v1/rejects/{urllib.parse.quote(load, safe='')}"
        return [RejectDetail.model_validate(server.get(path, {"page_size": 1})).load]
    answer = server.get("/api/v1/rejects", {"file": name, "page_size": 200})
    return RejectLoadList.model_validate(answer).items


def _confirm(loads: list[RejectLoad], yes: bool) -> None:
    """Say what goes, and ask (unless ``--yes``); an answer other than yes deletes nothing."""
    problems = sum(load.problems for load in loads)
    for load in loads:
        console.print(
            f"  {load.load_id}  {load.kind} ← {escape(load.file)}: {load.problems:,} rejects",
            highlight=False,
        )
    if yes:
        return
    try:
        sure = typer.confirm(f"Delete these {problems:,} rejects?", default=False)
    except typer.Abort:  # no answer (stdin closed)
        sure = False
    if not sure:
        console.print("nothing deleted (--yes clears without asking)", highlight=False)
        raise typer.Exit(code=1)


def _print_load(load: RejectLoad) -> None:
    when = f"{load.loaded_at:%Y-%m-%d %H:%M} UTC" if load.loaded_at else "unknown time"
    read = f" of {load.rows_read:,} read" if load.rows_read is not None else ""
    console.print(
        f"[bold]{load.load_id}[/]  {load.kind} ← {escape(load.file)}  ({when}): "
        f"[red]{load.rows_rejected:,} rows rejected[/]{read}",
        highlight=False,
    )
    table = RichTable("field", "lines", "what is wrong", "first line", "example")
    table.add_column("fix", overflow="fold")
    for g in load.groups:
        cells = [g.column or "(line)", f"{g.count:,}", g.problem, str(g.first_line or ""),
                 g.example or "", g.fix or ""]  # fmt: skip
        table.add_row(*(escape(cell) for cell in cells))
    console.print(table)
    if load.groups_total > len(load.groups):
        console.print(f"  and {load.groups_total - len(load.groups):,} more groups")


def _print_json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, indent=2) + "\n")


def _write_csv(header: list[str], rows: list[list[Any]]) -> None:
    """CSV on stdout; text cells that start like a formula are neutralised."""
    writer = csv.writer(sys.stdout, lineterminator="\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow(
            ["" if v is None else spreadsheet_safe(v) if isinstance(v, str) else v for v in row]
        )


def _stored_name(file: str) -> str:
    """How loads name a file: its full path when it exists here, else as given (a name)."""
    path = Path(file)
    return str(path.resolve()) if path.exists() else file
