"""Work that runs beside the server for as long as it serves.

Background work is the one pipeline (``outsidein.pipeline``): the app starts its scheduler
and each section's router registers its steps through :func:`with_steps`. Workers that are
not steps (the Segment writer, which answers requests) get a lifespan from
:func:`while_serving`, so starting and stopping them is written once.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Iterable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Protocol

from fastapi import FastAPI

from outsidein.pipeline import Scheduler, Step

Lifespan = Callable[[FastAPI], AbstractAsyncContextManager[None]]


class Worker(Protocol):
    """A background worker: started once, closed once (closing may wait for its work)."""

    def start(self) -> None: ...
    def close(self) -> None: ...


def pipeline_of(app: FastAPI) -> Scheduler:
    """The app's one scheduler (made by its lifespan)."""
    scheduler: Scheduler = app.state.pipeline
    return scheduler


def with_steps(make: Callable[[FastAPI], Iterable[Step]]) -> Lifespan:
    """A router lifespan that registers a section's steps with the app's pipeline."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        pipeline_of(app).register(*make(app))
        yield

    return lifespan


def while_serving(make: Callable[[FastAPI], Worker], state: str | None = None) -> Lifespan:
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
