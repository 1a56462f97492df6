"""The web tests' real uvicorn server fixture, for the app-level pipeline tests."""

from __future__ import annotations

from tests.web.conftest import live_server

__all__ = ["live_server"]
