"""``outsidein config show|export``: the configuration in force, as the store keeps it.

Like every command that opens the store, these first let outsidein.toml seed a new version
when the file says something new (docs/configuration.md); then they print (``show``) or write
(``export``) the current version as outsidein.toml text. While ``outsidein serve`` holds the
store they print the version that server uses (it seeded from the file when it started).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from outsidein.cli.app import ConfigOption, DbOption, app, console, settings
from outsidein.cli.server_client import Server, store_or_server
from outsidein.errors import ConfigError
from outsidein.store.config_versions import ConfigVersion, seed_from_file
from outsidein.web.schemas.config import ConfigVersionOut

config_app = typer.Typer(
    name="config",
    help="The configuration in force (docs/configuration.md).",
    no_args_is_help=True,
)
app.add_typer(config_app)


def _in_force(db: Path | None, config: Path | None) -> ConfigVersion:
    chosen = settings(db, config)
    with store_or_server(chosen.db, read_only=False, memory_limit=chosen.memory_limit) as store:
        if isinstance(store, Server):  # the server's version in force; it seeded at its start
            got = ConfigVersionOut.model_validate(store.get("/api/v1/config"))
            return ConfigVersion(
                got.version, got.created_at, got.source, got.origin, got.config, got.toml
            )
        return seed_from_file(store, chosen.config)


def _text(version: ConfigVersion) -> str:
    """The version's TOML, under a comment that says which version it is."""
    made = f"{version.created_at:%Y-%m-%d %H:%M} UTC" if version.created_at else "not stored"
    origin = f", {version.origin}" if version.origin else ""
    header = (
        f"# Outside-In configuration version {version.version} ({version.source}{origin}, {made})\n"
    )
    body = version.toml or "# shipped defaults: nothing set\n"
    return header + body


@config_app.command("show")
def show(db: DbOption = None, config: ConfigOption = None) -> None:
    """Print the configuration in force, as outsidein.toml text with its version."""
    typer.echo(_text(_in_force(db, config)), nl=False)


@config_app.command("export")
def export(
    out: Annotated[
        Path | None, typer.Option("--out", help="Write to FILE instead of printing")
    ] = None,
    db: DbOption = None,
    config: ConfigOption = None,
) -> None:
    """Write the configuration in force as outsidein.toml (e.g. to keep API edits in the file)."""
    version = _in_force(db, config)
    if out is None:
        typer.echo(_text(version), nl=False)
        return
    try:
        out.write_text(_text(version), encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"{out}: cannot write the configuration: {exc.strerror}") from exc
    console.print(f"wrote configuration version {version.version} to {out}", highlight=False)
