"""``outsidein serve``: the REST API and dashboard over one store, until Ctrl+C."""

from __future__ import annotations

from typing import Annotated

import typer

from outsidein.cli.app import ConfigOption, DbOption, app, console, settings
from outsidein.store.owner import read_record

HostOption = Annotated[
    str | None,
    typer.Option("--host", help="Interface to listen on [env OUTSIDEIN_HOST; default 127.0.0.1]"),
]
PortOption = Annotated[
    int | None,
    typer.Option(
        "--port",
        min=0,
        max=65535,
        help="Port, 0 for any free one [env OUTSIDEIN_PORT; default 8000]",
    ),
]


@app.command()
def serve(
    db: DbOption = None,
    host: HostOption = None,
    port: PortOption = None,
    config: ConfigOption = None,
) -> None:
    """Serve the dashboard and the REST API; this process owns the store while it runs."""
    from outsidein.web import serve as serve_web  # FastAPI loads only for this command

    s = settings(db=db, config=config)
    host = host or s.host
    port = s.port if port is None else port

    def announce() -> None:
        record = read_record(s.db)  # written once the port is bound: it knows the port
        url = record.url if record else f"http://{host}:{port}"
        console.print(f"Outside-In is serving [bold]{s.db}[/]", highlight=False)
        console.print(
            f"  dashboard  {url}/\n  API docs   {url}/docs\n"
            "  commands run meanwhile (metrics, accounts, load, keys) ask this server\n"
            "  Ctrl+C stops the server",
            highlight=False,
        )

    serve_web(
        s.db,
        host,
        port,
        memory_limit=s.memory_limit,
        on_open=announce,
        config_path=s.config,
        max_upload_mb=s.max_upload_mb,
    )
