"""``outsidein segments list|show|create|update|delete|members|changes|preview|export``.

The same readings as ``/api/v1/segments`` (:mod:`outsidein.segments`, shaped by the API's
models), so the terminal, the API and the pages show one count and one ARR; while
``outsidein serve`` holds the store, that server answers (and saves). Membership is what the
server's step (or :func:`outsidein.segments.refresh_membership`, which a save here runs)
recorded.
"""

from __future__ import annotations

import getpass
import urllib.parse
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Annotated, Any

import duckdb
import pyarrow as pa
import typer

from outsidein.cli.app import ConfigOption, DbOption, app, console, settings
from outsidein.cli.metrics import _date, _show
from outsidein.cli.server_client import Server, store_or_server
from outsidein.exports import write_csv
from outsidein.segments import (
    Context,
    catalogue,
    changes,
    create_segment,
    delete_segment,
    get_segment,
    list_segments,
    member_rows,
    members_at,
    preview,
    refresh_membership,
    segment_versions,
    sizes,
    update_segment,
)
from outsidein.store.config_versions import read_config_file, seed
from outsidein.web.schemas.segments import (
    ChangeList,
    PreviewOut,
    SegmentList,
    SegmentOut,
)

segments_app = typer.Typer(
    name="segments",
    help="Saved segments: filters over every account, their members over time.",
    no_args_is_help=True,
)
app.add_typer(segments_app)

Id = Annotated[str, typer.Argument(help="The segment's id")]
At = Annotated[str | None, typer.Option("--at", help="A past day (YYYY-MM-DD) [now]")]
Filter = Annotated[str, typer.Argument(help="A filter, e.g. 'health < 50 and segment = \"smb\"'")]
Out = Annotated[Path | None, typer.Option("--out", help="Write the rows to FILE.csv")]
LIST_COLUMNS = ["segment_id", "name", "accounts", "arr", "version", "expression"]


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def _at(value: str | None) -> datetime:
    """The end of the day asked, or now."""
    day = _date(value, "--at")
    if day is None:
        return _now()
    return min(datetime.combine(day + timedelta(days=1), datetime.min.time()), _now())


def _context(con: duckdb.DuckDBPyConnection, path: Path | None, write: bool) -> Context:
    """The configuration in force: the store's versioned copy, seeded from the file."""
    cur = con.cursor()
    try:
        config = seed(cur, read_config_file(path), record=write).config
    finally:
        cur.close()
    return Context.of(config)


def _path(segment_id: str, more: str = "") -> str:
    return f"/api/v1/segments/{urllib.parse.quote(segment_id, safe='')}{more}"


def _money(value: Any) -> str:
    return f"{float(value):,.0f}"


def _headline(s: SegmentOut) -> str:
    line = f"{s.segment_id}: {s.name} (version {s.version}, saved {s.saved_at:%Y-%m-%d %H:%M} by "
    line += f"{s.author})\n  {s.expression}"
    if s.accounts is not None and s.arr is not None:
        line += f"\n  {s.accounts:,} accounts, ARR {_money(s.arr)}"
    return line


@segments_app.command("list")
def list_command(
    at: At = None, out: Out = None, db: DbOption = None, config: ConfigOption = None
) -> None:
    """Every saved segment with its accounts and ARR."""
    chosen = settings(db, config)
    when = _at(at)
    with store_or_server(chosen.db, read_only=True) as store:
        if isinstance(store, Server):
            found = SegmentList.model_validate(store.get("/api/v1/segments", {"at": when}))
        else:
            counted = sizes(store, when)
            found = SegmentList(
                at=when,
                segments=[
                    SegmentOut.of(s, counted.get(s.segment_id)) for s in list_segments(store)
                ],
            )
    rows = [{**s.model_dump(), "arr": float(s.arr or 0)} for s in found.segments]
    table = pa.Table.from_pylist(rows) if rows else pa.table({c: [] for c in LIST_COLUMNS})
    _show(table, f"{len(rows)} segments at {when:%Y-%m-%d %H:%M}", out, LIST_COLUMNS)


@segments_app.command("show")
def show_command(segment_id: Id, db: DbOption = None, config: ConfigOption = None) -> None:
    """One segment: its filter, size, ARR and versions."""
    chosen = settings(db, config)
    with store_or_server(chosen.db, read_only=True) as store:
        if isinstance(store, Server):
            found = SegmentOut.model_validate(store.get(_path(segment_id)))
            versions = [
                SegmentOut.model_validate(v) for v in store.get(_path(segment_id, "/versions"))
            ]
        else:
            found = SegmentOut.of(get_segment(store, segment_id), sizes(store).get(segment_id))
            versions = [SegmentOut.of(v) for v in segment_versions(store, segment_id)]
    console.print(_headline(found), highlight=False)
    for v in versions:
        console.print(
            f"  v{v.version} {v.saved_at:%Y-%m-%d %H:%M} {v.author}: {v.expression}",
            highlight=False,
        )


def _save(
    store: duckdb.DuckDBPyConnection | Server,
    path: Path | None,
    method: str,
    segment_id: str | None,
    body: dict[str, Any],
    author: str | None,
) -> SegmentOut:
    if isinstance(store, Server):  # the server's signed-in user is the author
        where = "/api/v1/segments" if segment_id is None else _path(segment_id)
        answer = store.call(method, where, body={k: v for k, v in body.items() if v is not None})
        return SegmentOut.model_validate(answer)
    context = _context(store, path, write=True)
    fields = catalogue(store, context)
    who = author or getpass.getuser()
    if method == "POST":
        made = create_segment(
            store, body["name"], body["expression"], fields, description=body["description"] or "",
            author=who, segment_id=body["segment_id"],
        )  # fmt: skip
    elif method == "PUT":
        assert segment_id is not None
        made = update_segment(store, segment_id, fields, name=body["name"],
                              expression=body["expression"], description=body["description"],
                              author=who)  # fmt: skip
    else:
        assert segment_id is not None
        made = delete_segment(store, segment_id)
    refresh_membership(store, context)  # membership follows the save at once
    return SegmentOut.of(made, sizes(store).get(made.segment_id))


Author = Annotated[
    str | None, typer.Option("--author", help="Who saves it [your login; the server: you]")
]
Description = Annotated[str | None, typer.Option("--description", help="What it is for")]


@segments_app.command("create")
def create_command(
    name: Annotated[str, typer.Argument(help="The segment's name")],
    expression: Filter,
    segment_id: Annotated[
        str | None, typer.Option("--id", help="Its id [made from the name]")
    ] = None,
    description: Description = None,
    author: Author = None,
    db: DbOption = None,
    config: ConfigOption = None,
) -> None:
    """Save a new segment (version 1) and compute its members."""
    chosen = settings(db, config)
    body = {"name": name, "expression": expression, "description": description or "",
            "segment_id": segment_id}  # fmt: skip
    with store_or_server(chosen.db, read_only=False) as store:
        made = _save(store, chosen.config, "POST", None, body, author)
    console.print(_headline(made), highlight=False)


@segments_app.command("update")
def update_command(
    segment_id: Id,
    expression: Annotated[str | None, typer.Option("--filter", help="A new filter")] = None,
    name: Annotated[str | None, typer.Option("--name", help="A new name")] = None,
    description: Description = None,
    author: Author = None,
    db: DbOption = None,
    config: ConfigOption = None,
) -> None:
    """Save a new version (what is not given is kept)."""
    chosen = settings(db, config)
    body = {"name": name, "expression": expression, "description": description}
    with store_or_server(chosen.db, read_only=False) as store:
        made = _save(store, chosen.config, "PUT", segment_id, body, author)
    console.print(_headline(made), highlight=False)


@segments_app.command("delete")
def delete_command(segment_id: Id, db: DbOption = None, config: ConfigOption = None) -> None:
    """Delete a segment (its versions and membership history are kept)."""
    chosen = settings(db, config)
    with store_or_server(chosen.db, read_only=False) as store:
        gone = _save(store, chosen.config, "DELETE", segment_id, {}, None)
    console.print(f"deleted {gone.segment_id} ({gone.name})", highlight=False)


@segments_app.command("members")
def members_command(segment_id: Id, at: At = None, out: Out = None, db: DbOption = None) -> None:
    """The accounts in the segment (at a past day), as recorded."""
    chosen = settings(db, None)
    when = _at(at)
    with store_or_server(chosen.db, read_only=True) as store:
        if isinstance(store, Server):
            ids = store.get(_path(segment_id, "/members"), {"at": when})["account_ids"]
        else:
            ids = members_at(store, segment_id, when)
    _show(pa.table({"account_id": pa.array(ids, pa.string())}),
          f"{len(ids):,} accounts in {segment_id} at {when:%Y-%m-%d %H:%M}", out)  # fmt: skip


@segments_app.command("changes")
def changes_command(
    segment_id: Id,
    since: Annotated[str | None, typer.Option("--since", help="From this day [7 days ago]")] = None,
    until: Annotated[
        str | None, typer.Option("--until", help="To the end of this day [now]")
    ] = None,
    out: Out = None,
    db: DbOption = None,
) -> None:
    """Who entered and left the segment between two days."""
    chosen = settings(db, None)
    end = _at(until)
    start = _at(since) - timedelta(days=1) if since else end - timedelta(days=7)
    with store_or_server(chosen.db, read_only=True) as store:
        if isinstance(store, Server):
            found = ChangeList.model_validate(
                store.get(_path(segment_id, "/changes"), {"since": start, "until": end})
            )
        else:
            found = ChangeList.of(segment_id, start, end, changes(store, segment_id, start, end))
    rows = [c.model_dump() for c in found.changes]
    columns = ["at", "account_id", "name", "csm_id", "change"]
    table = pa.Table.from_pylist(rows) if rows else pa.table({c: [] for c in columns})
    span = f"{start:%Y-%m-%d %H:%M} to {end:%Y-%m-%d %H:%M}"
    title = f"{found.entered:,} entered, {found.left:,} left, {span}"
    _show(table, title, out, columns)


@segments_app.command("preview")
def preview_command(
    expression: Filter,
    limit: Annotated[int, typer.Option(min=0, max=200, help="Members to show")] = 20,
    db: DbOption = None,
    config: ConfigOption = None,
) -> None:
    """What a filter selects today (nothing is saved): count, ARR, the first members."""
    chosen = settings(db, config)
    with store_or_server(chosen.db, read_only=True) as store:
        if isinstance(store, Server):
            found = PreviewOut.model_validate(
                store.get("/api/v1/segments/preview", {"expression": expression, "limit": limit})
            )
        else:
            context = _context(store, chosen.config, write=False)
            found = PreviewOut.of(preview(store, expression, _now().date(), context, limit=limit))
    rows = found.rows
    table = pa.Table.from_pylist(rows) if rows else pa.table({"account_id": []})
    _show(table, f"{found.accounts:,} accounts, ARR {_money(found.arr)} on {found.as_of}", None)


@segments_app.command("export")
def export_command(
    segment_id: Id,
    out: Annotated[Path, typer.Option("--out", help="The CSV file to write")],
    at: At = None,
    db: DbOption = None,
    config: ConfigOption = None,
) -> None:
    """Write the members (with the fields the filter reads) as CSV, safe for spreadsheets."""
    chosen = settings(db, config)
    when = _at(at)
    with store_or_server(chosen.db, read_only=True) as store:
        if isinstance(store, Server):
            answer = store.get(
                _path(segment_id, "/export"), {"at": when, "format": "json"}, export=str(out)
            )
            table = (
                pa.Table.from_pylist(answer["rows"])
                if answer["rows"]
                else pa.table({c: pa.array([], pa.string()) for c in answer["columns"]})
            )
        else:
            context = _context(store, chosen.config, write=False)
            table = member_rows(store, segment_id, at=when, context=context)
    write_csv(table, out)
    console.print(f"wrote {table.num_rows:,} accounts of {segment_id} to {out}", highlight=False)
