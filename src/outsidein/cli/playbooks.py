"""``outsidein playbooks list|show|apply|run|firings``: playbooks in the terminal.

The same readings and writes as ``/api/v1/playbooks`` (:mod:`outsidein.playbooks`); while
``outsidein serve`` holds the store, that server answers (and ``run`` asks its pipeline step).
"""

from __future__ import annotations

import getpass
import json
import tomllib
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import duckdb
import pyarrow as pa
import typer

from outsidein.cli.app import ConfigOption, DbOption, app, console, settings
from outsidein.cli.metrics import Out, _show
from outsidein.cli.server_client import Server, store_or_server
from outsidein.config import OutsideInConfig, parse_config
from outsidein.errors import ConfigError
from outsidein.playbooks import list_firings, run_playbooks, summaries, sync_versions, versions_of
from outsidein.settings.playbooks import PlaybooksConfig
from outsidein.store.config_versions import read_config_file, save_config, seed

playbooks_app = typer.Typer(
    name="playbooks", help="Playbooks: list, show, apply, run, firings.", no_args_is_help=True
)
app.add_typer(playbooks_app)

Name = Annotated[str, typer.Argument(help="The playbook's name")]
Limit = Annotated[int, typer.Option(min=1, max=500, help="Rows to show")]


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def _config(con: duckdb.DuckDBPyConnection, path: Path | None, write: bool) -> OutsideInConfig:
    cur = con.cursor()
    try:
        return seed(cur, read_config_file(path), record=write).config
    finally:
        cur.close()


def _table(rows: list[dict[str, Any]], columns: list[str]) -> pa.Table:
    clean = [{c: r.get(c) for c in columns} for r in rows]
    return pa.Table.from_pylist(clean) if clean else pa.table({c: [] for c in columns})


@playbooks_app.command("list")
def list_command(out: Out = None, db: DbOption = None, config: ConfigOption = None) -> None:
    """The playbooks in force: trigger, version, firings in 30 days, open tasks."""
    chosen = settings(db, config)
    with store_or_server(chosen.db, read_only=True) as store:
        if isinstance(store, Server):
            rows = store.get("/api/v1/playbooks")["playbooks"]
        else:
            current = _config(store, chosen.config, write=False)
            rows = [asdict(s) for s in summaries(store, current.playbooks, _now())]
    columns = ["name", "trigger", "enabled", "version", "firings_recent", "held_out_recent",
               "open_tasks", "last_fired"]  # fmt: skip
    _show(_table(rows, columns), f"{len(rows)} playbooks", out, columns)


@playbooks_app.command("show")
def show_command(name: Name, db: DbOption = None, config: ConfigOption = None) -> None:
    """One playbook's definition in force and its versions."""
    chosen = settings(db, config)
    with store_or_server(chosen.db, read_only=True) as store:
        if isinstance(store, Server):
            found = store.get(f"/api/v1/playbooks/{name}", {"include_removed": True})
            definition, versions = found["playbook"], found["versions"]
        else:
            book = _config(store, chosen.config, write=False).playbooks.get(name)
            definition = None if book is None else book.model_dump(mode="json")
            versions = [asdict(v) for v in versions_of(store, name)]
    console.print(json.dumps(definition, indent=2) if definition else "(removed)", highlight=False)
    columns = ["version", "config_version", "origin", "created_at"]
    _show(_table(versions, columns), f"versions of {name}", None, columns)


def _read_section(path: Path) -> PlaybooksConfig:
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read it as TOML: {exc}") from None
    section = raw.get("playbooks", raw)
    return parse_config({"playbooks": section}, str(path)).playbooks


@playbooks_app.command("apply")
def apply_command(
    file: Annotated[Path, typer.Argument(help="A TOML file with a [playbooks] section")],
    db: DbOption = None,
    config: ConfigOption = None,
) -> None:
    """Replace the playbooks with the file's (a new configuration version; each changed
    playbook gets its next version)."""
    chosen = settings(db, config)
    section = _read_section(file)
    with store_or_server(chosen.db, read_only=False) as store:
        if isinstance(store, Server):
            found = store.call("PUT", "/api/v1/playbooks", body=section.model_dump(mode="json"))
            version, count = found["config_version"], len(found["playbooks"])
        else:
            current = _config(store, chosen.config, write=True)
            origin = f"outsidein playbooks apply {file} by {getpass.getuser()}"
            stored = save_config(store, current.model_copy(update={"playbooks": section}), "cli",
                                 origin=origin)  # fmt: skip
            sync_versions(store, stored.config.playbooks, stored.version, origin)
            version, count = stored.version, len(section.playbooks)
    console.print(f"{count} playbooks in configuration version {version}", highlight=False)


@playbooks_app.command("run")
def run_command(
    playbook: Annotated[str | None, typer.Option("--playbook", help="Only this one")] = None,
    db: DbOption = None,
    config: ConfigOption = None,
) -> None:
    """Evaluate the playbooks for every account now (a running server's step does it)."""
    chosen = settings(db, config)
    with store_or_server(chosen.db, read_only=False) as store:
        if isinstance(store, Server):
            store.call("POST", "/api/v1/playbook-runs")
            console.print("the server evaluates every playbook now (its step 'playbooks' on "
                          "/status; `outsidein playbooks firings`)", highlight=False)  # fmt: skip
            return
        current = _config(store, chosen.config, write=True)
        with console.status("evaluating the playbooks..."):
            result = run_playbooks(store, current, only=playbook, origin="cli")
    console.print(
        f"{result.playbooks} playbooks over {result.accounts:,} accounts: {result.firings:,} "
        f"firings ({result.held_out:,} held out), {result.tasks:,} tasks, {result.fields:,} "
        f"fields set, {result.touches:,} touches requested in {result.seconds:.1f} s",
        highlight=False,
    )


@playbooks_app.command("firings")
def firings_command(
    playbook: Annotated[str | None, typer.Option("--playbook")] = None,
    account: Annotated[str | None, typer.Option("--account")] = None,
    limit: Limit = 50,
    out: Out = None,
    db: DbOption = None,
    config: ConfigOption = None,
) -> None:
    """Who was treated (or held out), when, by which version and variant, and why."""
    chosen = settings(db, config)
    with store_or_server(chosen.db, read_only=True) as store:
        if isinstance(store, Server):
            params = {"playbook": playbook, "account_id": account, "page_size": min(limit, 200)}
            found = store.get("/api/v1/firings", params)
            total, rows = found["total"], found["firings"]
        else:
            page = list_firings(store, playbook=playbook, account_id=account, page_size=limit)
            total, rows = page.total, [asdict(f) for f in page.items]
    columns = ["fired_at", "account_id", "playbook", "playbook_version", "variant", "reason",
               "held_out", "actions"]  # fmt: skip
    _show(_table(rows, columns), f"{total:,} firings", out, columns)
