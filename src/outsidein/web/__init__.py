"""The web layer: REST API, dashboard pages, and the server that owns the store."""

from outsidein.web.app import create_app
from outsidein.web.server import serve

__all__ = ["create_app", "serve"]
