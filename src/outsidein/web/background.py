"""Work that runs beside the server for as long as it serves: Segment ingestion, the
snapshot refresh, the accounts' last-seen summary. Each section's router gets a lifespan
from :func:`while_serving`, so starting and stopping them is written once."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Protocol

from fastapi import FastAPI


class Worker(Protocol):
    """A background worker: started once, closed once (closing may wait for its work)."""

    def start(self) -> None: ...
    def close(self) -> None: ...


def while_serving(
    make: Callable[[FastAPI], Worker], state: str | None = None
) -> Callable[[FastAPI], AbstractAsyncContextManager[None]]:
    """A router lifespan that makes the worker at start-up, starts it, keeps it as
    ``app.state.<state>`` for the endpoints, and closes it at shutdown (in a thread: closing
    may wait, and the event loop must not)."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        worker = make(app)
        worker.start()
        if state is not None:
            setattr(app.state, state, worker)
        try:
            yield
        finally:
            await asyncio.to_thread(worker.close)

    return lifespan
