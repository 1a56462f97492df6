"""``outsidein serve``: the REST API and dashboard over one store, until Ctrl+C."""

from __future__ import annotations

from typing import Annotated

import typer

from outsidein.cli.app import ConfigOption, DbOption, app, console, settings

HostOption = Annotated[
    str | None,
    typer.Option("--host", help="Interface to listen on [env OUTSIDEIN_HOST; default 127.0.0.1]"),
]
PortOption = Annotated[
    int | None,
    typer.Option("--port", min=1, max=65535, help="Port [env OUTSIDEIN_PORT; default 8000]"),
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
    port = port or s.port

    def announce() -> None:
        console.print(f"Outside-In is serving [bold]{s.db}[/]", highlight=False)
        console.print(
            f"  dashboard  http://{host}:{port}/\n  API docs   http://{host}:{port}/docs\n"
            "  Ctrl+C stops the server",
            highlight=False,
        )

    serve_web(s.db, host, port, memory_limit=s.memory_limit, on_open=announce, config_path=s.config)
