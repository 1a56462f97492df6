"""``outsidein load KIND FILE...``: load files into the store, with a summary of rejects.

While ``outsidein serve`` holds the store, the files are sent to it (``POST
/api/v1/loads/{kind}``) and the server, the store's one writer, runs the same loader: the
summary and rejects printed are the same (docs/loading.md).
"""

from __future__ import annotations

import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, BinaryIO

import typer
from rich.markup import escape
from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table as RichTable

from outsidein.cli.app import ConfigOption, DbOption, app, console, settings
from outsidein.cli.load_inspect import run_inspect
from outsidein.cli.server_client import LOAD_TIMEOUT, Server, store_or_server
from outsidein.errors import ConfigError, LoadError
from outsidein.ingest import LoadResult, RejectRow, load_file
from outsidein.ingest.dates import parse_format_specs
from outsidein.ingest.encodings import check_encoding
from outsidein.ingest.formats import ReadOptions, check_readable, names_listed
from outsidein.ingest.link_keys import declare_key
from outsidein.ingest.mapping import merge_mappings
from outsidein.ingest.profiles import apply_profile, profile_names
from outsidein.ingest.profiles import profile as find_profile
from outsidein.ingest.reconcile import Reconcile
from outsidein.ingest.transforms import cli_spec
from outsidein.ingest.transforms.options import load_inputs, plain_maps
from outsidein.quality import CheckResult, run_checks, summary_line
from outsidein.settings.load import LoadSpec
from outsidein.store import TABLES
from outsidein.store.config_versions import read_config_file, seed

SHOWN_REJECTS = 10


@app.command()
def load(
    kind: Annotated[str, typer.Argument(help=f"What the files hold: {', '.join(TABLES)}")],
    files: Annotated[list[Path], typer.Argument(help="CSV, Parquet, JSON Lines or .xlsx files")],
    map_: Annotated[
        list[str] | None,
        typer.Option(
            "--map",
            help="SOURCE_COLUMN=TARGET (repeatable, a source may feed several targets; "
            "ext:SYSTEM marks another system's account id, custom:NAME a custom field)",
        ),
    ] = None,
    values: Annotated[
        list[str] | None,
        typer.Option(
            "--values",
            help="TARGET:FROM=TO,FROM=TO maps values (ignoring case; * is any other value)",
        ),
    ] = None,
    set_: Annotated[
        list[str] | None, typer.Option("--set", help="TARGET=VALUE, a constant")
    ] = None,
    coalesce: Annotated[
        list[str] | None,
        typer.Option("--coalesce", help="TARGET=COLUMN,COLUMN: the first non-empty value"),
    ] = None,
    scale: Annotated[
        list[str] | None,
        typer.Option("--scale", help="TARGET=FACTOR [if CONDITION]: multiply numbers (0.01, 1/12)"),
    ] = None,
    derive: Annotated[
        list[str] | None,
        typer.Option(
            "--derive", help="TARGET='VALUE if CONDITION; ...; else VALUE' (file columns)"
        ),
    ] = None,
    where: Annotated[
        list[str] | None,
        typer.Option("--where", help="CONDITION a row must meet to load (repeatable: all)"),
    ] = None,
    key_from: Annotated[
        str | None,
        typer.Option("--key-from", help="COLUMN,COLUMN: make the key from these values"),
    ] = None,
    group_by: Annotated[
        str | None,
        typer.Option("--group-by", help="TARGET: one row per value (line items -> invoice)"),
    ] = None,
    sum_: Annotated[
        list[str] | None, typer.Option("--sum", help="TARGET summed over a --group-by group")
    ] = None,
    keep_extra: Annotated[
        bool | None,
        typer.Option(
            "--keep-extra/--no-keep-extra",
            help="Keep unmapped columns as custom fields (default: yes for accounts, "
            "contacts, subscriptions, cases)",
        ),
    ] = None,
    values_case_sensitive: Annotated[
        bool, typer.Option("--values-case-sensitive", help="--values match exactly")
    ] = False,
    id_system: Annotated[
        str | None,
        typer.Option(
            "--id-system", help="The file's account ids are this system's (crm, billing...)"
        ),
    ] = None,
    strict: Annotated[
        bool, typer.Option("--strict", help="Refuse the whole file if any row is bad")
    ] = False,
    format_: Annotated[
        list[str] | None,
        typer.Option(
            "--format",
            help="COLUMN=FORMAT: a date column's format, e.g. created_at=%m/%d/%Y "
            "(strptime; or iso, epoch, epoch_ms); repeatable",
        ),
    ] = None,
    encoding: Annotated[
        str | None,
        typer.Option("--encoding", help="The files' text encoding (default: detected)"),
    ] = None,
    sheet: Annotated[
        str | None, typer.Option("--sheet", help="The .xlsx sheet to read (default: the first)")
    ] = None,
    link_key: Annotated[
        str | None,
        typer.Option(
            "--link-key",
            help="SYSTEM=COLUMN: COLUMN holds SYSTEM's id of each row's account; on contacts, "
            "email: rows land on the stored contact with their email ([load.KIND] link_key; "
            "docs/identity.md)",
        ),
    ] = None,
    profile: Annotated[
        str | None,
        typer.Option(
            "--profile", help=f"A ready mapping for a tool's export: {', '.join(profile_names())}"
        ),
    ] = None,
    inspect: Annotated[
        bool,
        typer.Option(
            "--inspect",
            help="Show the columns, a proposed mapping and its first rejects; load nothing",
        ),
    ] = False,
    save: Annotated[
        bool,
        typer.Option(
            "--save", help="With --inspect: write the mapping into [load.KIND] of outsidein.toml"
        ),
    ] = False,
    full_refresh: Annotated[
        bool,
        typer.Option(
            "--full-refresh",
            help="The file is the whole current list (subscriptions, contacts): end the open "
            "subscriptions it lacks, flag the contacts it lacks as removed; nothing is deleted",
        ),
    ] = False,
    churn_ends: Annotated[
        bool,
        typer.Option(
            "--churn-ends-subscriptions",
            help="Churn records end their account's open subscriptions at their date "
            "([sources] churn_ends_subscriptions)",
        ),
    ] = False,
    supersede: Annotated[
        bool,
        typer.Option(
            "--supersede",
            help="A new subscription ends the older open one of its account and plan family "
            "([sources] supersede_in_family)",
        ),
    ] = False,
    db: DbOption = None,
    config: ConfigOption = None,
) -> None:
    """Load files of one KIND; bad rows go to the rejects table and are listed here."""
    cfg_settings = settings(db, config)
    from_file = read_config_file(cfg_settings.config)  # a bad file fails before the store opens
    cli = cli_spec(
        maps=map_ or [], values=values or [], sets=set_ or [], coalesce=coalesce or [],
        scale=scale or [], derive=derive or [], where=where or [], key_from=key_from,
        group_by=group_by, sums=sum_ or [], keep_extra=keep_extra,
        values_case_sensitive=values_case_sensitive,
    )  # fmt: skip
    named_formats = parse_format_specs(format_ or [])
    if profile is not None:
        cli, named_formats, id_system = apply_profile(
            find_profile(profile, kind), cli, named_formats, id_system
        )
        format_ = [f"{column}={pattern}" for column, pattern in named_formats.items()]
    if link_key is not None and inspect and "=" in link_key:  # the assistant shows the result
        cli, id_system = declare_key(cli, kind, id_system, link_key)
    elif link_key is not None:  # the loader applies it, as [load.KIND] link_key
        cli = cli.model_copy(update={"link_key": link_key})
    if save and not inspect:
        raise ConfigError("--save goes with --inspect: outsidein load KIND FILE --inspect --save")
    if encoding is not None:
        check_encoding(encoding)
    reading = _Reading(format_ or [], encoding, sheet, full_refresh, churn_ends, supersede)
    rejected = 0
    with store_or_server(
        cfg_settings.db, read_only=False, memory_limit=cfg_settings.memory_limit
    ) as store:
        if inspect:
            if isinstance(store, Server):
                raise ConfigError(
                    "--inspect reads the store, which the running server holds: use the "
                    "assistant at /loads/assistant, or stop the server"
                )
            save_to = (cfg_settings.config or Path("outsidein.toml")) if save else None
            reading_options = ReadOptions(encoding, sheet, named_formats)
            for path in files:
                run_inspect(store, kind, path, cli, reading_options, id_system, save_to)
            return
        if isinstance(store, Server):
            for path in files:
                result = _send(store, kind, path, id_system, strict, cli, reading)
                _print_summary(result)
                rejected += result.rows_rejected if not result.already_loaded else 0
            got = store.call("GET", "/api/v1/quality", {"limit": 0})
            checks = [CheckResult(**c) for c in got["checks"]]
            console.print(summary_line(checks), highlight=False)
        else:
            cfg = seed(store, from_file).config  # the store's version in force
            mapping, spec = load_inputs(
                cfg.mapping.get(kind, {}), cfg.load.get(kind, LoadSpec()), cli
            )
            formats = merge_mappings(cfg.formats.get(kind, {}), named_formats)
            options = ReadOptions(encoding, sheet, formats)
            reconcile = Reconcile.of(
                cfg.sources,
                full_refresh=full_refresh,
                churn_ends_subscriptions=churn_ends,
                supersede=supersede,
                actor="cli",
            )
            for path in files:
                result = _load_one(
                    store, kind, path, mapping, id_system, strict, cfg, spec, options, reconcile
                )
                _print_summary(result)
                rejected += result.rows_rejected if not result.already_loaded else 0
            # the checks after each load (docs/quality.md): counts only, cheap
            console.print(summary_line(run_checks(store, cfg.sources, limit=0)), highlight=False)
    if rejected:
        raise typer.Exit(code=1)


@dataclass(frozen=True)
class _Reading:
    """The reading options as the command got them, to send to the server."""

    formats: list[str]
    encoding: str | None
    sheet: str | None
    full_refresh: bool = False
    churn_ends_subscriptions: bool = False
    supersede: bool = False


def _send(
    server: Server,
    kind: str,
    path: Path,
    id_system: str | None,
    strict: bool,
    cli: LoadSpec,
    reading: _Reading,
) -> LoadResult:
    """Load ``path`` through the server that holds the store: the same loader runs there."""
    check_readable(path)
    size = path.stat().st_size
    limit = server.record.max_upload_bytes if server.record else None
    if limit is not None and size > limit:
        raise LoadError(
            f"{path}: {size:,} bytes is over the server's upload limit of {limit:,} bytes "
            "(OUTSIDEIN_MAX_UPLOAD_MB when it starts); raise it, or stop the server and run "
            "this command again to load the store directly"
        )
    params: dict[str, object] = {"filename": str(path.resolve()), "id_system": id_system,
                                 "strict": strict, "format": reading.formats,
                                 "encoding": reading.encoding, "sheet": reading.sheet,
                                 "full_refresh": reading.full_refresh,
                                 "churn_ends_subscriptions": reading.churn_ends_subscriptions,
                                 "supersede": reading.supersede}  # fmt: skip
    plain, rest = plain_maps(cli)
    params["map"] = [f"{source}={target}" for source, target in plain.items()]
    if not rest.is_empty():
        params["transforms"] = rest.model_dump_json(exclude_defaults=True)
    with (
        Progress(
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            DownloadColumn(),
            TimeElapsedColumn(),
            console=console,
            transient=True,
        ) as bar,
        open(path, "rb") as handle,
    ):
        task = bar.add_task(f"{kind} ← {path.name} (sending)", total=size)

        def sent(done: int) -> None:
            bar.update(task, completed=done)
            if done >= size:
                bar.update(task, description=f"{kind} ← {path.name} (loading on the server)")

        answer = server.call(
            "POST",
            f"/api/v1/loads/{urllib.parse.quote(kind, safe='')}",
            params,
            data=_Counted(handle, sent),
            size=size,
            timeout=LOAD_TIMEOUT,
        )
    rejects = [RejectRow(**reject) for reject in answer.pop("rejects")]
    return LoadResult(**answer, rejects=rejects)


class _Counted:
    """A file that reports how much of it has been read (sent)."""

    def __init__(self, handle: BinaryIO, on_read: Callable[[int], None]) -> None:
        self._handle, self._on_read, self._done = handle, on_read, 0

    def read(self, size: int = -1) -> bytes:
        chunk = self._handle.read(size)
        self._done += len(chunk)
        self._on_read(self._done)
        return chunk


def _load_one(  # type: ignore[no-untyped-def]
    con, kind, path, mapping, id_system, strict, cfg, spec, options, reconcile
) -> LoadResult:
    with Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        TextColumn("{task.completed:,} rows"),
        TimeElapsedColumn(),
        console=console,
        transient=True,
    ) as bar:
        task = bar.add_task(f"{kind} ← {path.name}", total=None)
        return load_file(
            con,
            kind,
            path,
            mapping=mapping,
            id_system=id_system,
            strict=strict,
            config=cfg.store,
            precedence=cfg.ingest.precedence,
            transforms=spec,
            progress=lambda rows: bar.update(task, completed=rows),
            options=options,
            reconcile=reconcile,
        )


def _print_summary(result: LoadResult) -> None:
    name = Path(result.file).name
    if result.already_loaded:
        console.print(f"[dim]{result.kind} ← {name}: already loaded; nothing changed[/]")
        return
    rate = result.rows_read / result.seconds if result.seconds else 0
    console.print(
        f"[bold]{result.kind}[/] ← {name}: {result.rows_read:,} rows read, "
        f"[green]{result.rows_inserted:,} new[/], {result.rows_updated:,} updated, "
        f"{result.rows_unchanged:,} unchanged, "
        f"[{'red' if result.rows_rejected else 'green'}]{result.rows_rejected:,} rejected[/] "
        f"in {result.seconds:.1f} s ({rate:,.0f} rows/s)",
        highlight=False,
    )
    for note in result.notes:
        console.print(f"  {note}", highlight=False)
    if result.custom_fields:
        console.print(
            f"  kept as custom fields: {', '.join(result.custom_fields)} (--no-keep-extra "
            "ignores them)",
            highlight=False,
        )
    if result.ignored_columns:
        console.print(f"  ignored columns: {names_listed(result.ignored_columns)}", highlight=False)
    if result.rejects:
        table = RichTable(
            "line", "column", "value", "reason", title="first rejects", title_justify="left"
        )
        for reject in result.rejects[:SHOWN_REJECTS]:
            cells = [str(reject.line or ""), reject.column or "", reject.value or "", reject.reason]
            table.add_row(*(escape(cell) for cell in cells))  # data, not markup
        console.print(table)
    if result.rows_rejected:
        console.print(f"  {rejects_pointer(result)}", highlight=False)


def rejects_pointer(result: LoadResult) -> str:
    """Where the rejects of a load are read, and whether the file loads again as it is."""
    rows = f"{result.rows_rejected:,} row{'s' if result.rows_rejected != 1 else ''}"
    every = result.rows_rejected >= result.rows_read
    head = f"every row rejected ({rows}); nothing loaded" if every else f"{rows} rejected"
    tail = "; the next load of this file runs again" if every else ""
    return f"{head}: `outsidein rejects show {result.load_id}`{tail}"
