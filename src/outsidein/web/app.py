"""The FastAPI application: the store it owns, the sections plugged into it, its errors."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import duckdb
from fastapi import Depends, FastAPI, Request
from fastapi.responses import RedirectResponse
from fastapi.staticfiles import StaticFiles
from fastapi_offline import FastAPIOffline

from outsidein import __version__
from outsidein.auth.ratelimit import LoginLimiter
from outsidein.auth.roles import Role
from outsidein.config import Settings
from outsidein.pipeline import Scheduler
from outsidein.settings.auth import AuthSettings
from outsidein.store import connect
from outsidein.web.access import account_in_book
from outsidein.web.deps import ServerConfig, ServerStore
from outsidein.web.errors import install_error_handlers
from outsidein.web.exports import record_export
from outsidein.web.guard import Guard, allowed_hosts
from outsidein.web.nav import grouped
from outsidein.web.openapi import install_openapi
from outsidein.web.sections import SECTIONS
from outsidein.web.templating import STATIC_DIR

API_PREFIX = "/api/v1"


def create_app(
    db_path: Path,
    *,
    connection: duckdb.DuckDBPyConnection | None = None,
    memory_limit: str | None = None,
    config_path: Path | None = None,
    auth: AuthSettings | None = None,
) -> FastAPI:
    """The web app over the store at ``db_path``.

    The store is opened read-write (and migrated) when the server starts and closed when it
    stops: while it runs, this process is the store's one writer. Pass ``connection`` when
    the caller already opened the store, e.g. to fail fast on a lock before serving.
    ``config_path`` (default: the file :class:`Settings` finds for this store, read here once)
    seeds the configuration the app keeps in ``app.state.config`` (docs/configuration.md).
    Background work is one pipeline (docs/pipeline.md): its scheduler starts here, the
    sections' lifespans register their steps, and it stops after them (draining).
    Every request passes the guard (docs/security.md); ``auth`` (default: the environment)
    sets its Host allow-list, sessions and rate limit; ``app.state.bound_host`` adds the
    host the server binds to the allowed names.
    """
    auth = AuthSettings() if auth is None else auth
    server_config = ServerConfig(
        Settings(db=db_path).config if config_path is None else config_path
    )

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        con = connection if connection is not None else connect(db_path, memory_limit=memory_limit)
        app.state.store = ServerStore(con)
        app.state.pipeline = Scheduler(app.state.store.cursor)
        app.state.pipeline.start()
        try:
            server_config.open(con)
            yield
        finally:
            await asyncio.to_thread(app.state.pipeline.close)
            app.state.store.close()

    # Swagger UI and ReDoc served from files inside fastapi-offline: /docs works offline.
    app = FastAPIOffline(
        title="Outside-In",
        version=__version__,
        description="Customer success measured the way the customer measures it.",
        lifespan=lifespan,
        # Every route: an account it names must be in the caller's book (web/access.py);
        # an export it answers is audited (web/exports.py).
        dependencies=[Depends(account_in_book), Depends(record_export)],
    )
    app.state.db_path = Path(db_path)
    app.state.config = server_config
    app.state.auth = auth
    app.state.bound_host = None
    app.state.login_limiter = LoginLimiter(auth.login_attempts, auth.login_window_minutes * 60)
    app.state.nav = [s.nav for s in SECTIONS if s.nav is not None]
    grouped(app.state.nav, "/")  # an unknown nav group fails here, not on the first page
    for section in SECTIONS:
        if section.api is not None:
            app.include_router(section.api, prefix=API_PREFIX)
        if section.pages is not None:
            app.include_router(section.pages)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")

    @app.get("/", include_in_schema=False)
    def home(request: Request) -> RedirectResponse:
        """A CSM lands on My day; everyone else on the first other page of the nav."""
        principal = getattr(request.state, "principal", None)
        paths = [n.path for n in app.state.nav]
        if principal is not None and principal.role == Role.CSM and "/my-day" in paths:
            return RedirectResponse("/my-day")
        others = [p for p in paths if p != "/my-day"]
        return RedirectResponse(others[0] if others else "/docs")

    install_error_handlers(app)
    install_openapi(app)
    app.add_middleware(
        Guard, settings=auth, hosts=lambda: allowed_hosts(auth, app.state.bound_host)
    )
    return app
