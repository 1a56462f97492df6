"""The Typer application every command module registers on."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console

from outsidein.config import Settings

app = typer.Typer(
    name="outsidein",
    help="Outside-In: customer success measured the way the customer measures it.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
console = Console()
err_console = Console(stderr=True)

DbOption = Annotated[
    Path | None,
    typer.Option(
        "--db",
        help="DuckDB store file [env OUTSIDEIN_DB; default ./outsidein-data/outsidein.duckdb]",
    ),
]
ConfigOption = Annotated[
    Path | None,
    typer.Option(
        "--config",
        help="outsidein.toml [env OUTSIDEIN_CONFIG; default ./outsidein.toml, else the one "
        "beside the store]",
    ),
]


def settings(db: Path | None = None, config: Path | None = None) -> Settings:
    """Settings from the environment, with command-line options taking precedence; the
    config file is found beside ``db`` when neither names one (:func:`find_config`)."""
    chosen: dict[str, Any] = {"db": db, "config": config}
    return Settings(**{k: v for k, v in chosen.items() if v is not None})


@app.callback()
def _root() -> None:
    """Outside-In: customer success measured the way the customer measures it."""
