"""Files the pages load that are not in ``static/``: the chart library and the favicon.

The chart library is the Vega, Vega-Lite and Vega-Embed bundle that ships inside the
``vl-convert-python`` package (``javascript_bundle()``): nothing is downloaded, ever. It is
built once per process (about 1.5 s, started in the background when the app starts), served
gzipped when the browser accepts it, under a URL that names the package version, so the
browser caches it for a year and a new version is a new URL.
"""

from __future__ import annotations

import gzip
import hashlib
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from functools import cache
from importlib.metadata import version
from pathlib import Path

from fastapi import APIRouter, FastAPI, HTTPException, Request
from fastapi.responses import FileResponse, Response

STATIC_DIR = Path(__file__).parent / "static"

CHARTS_VERSION = version("vl-convert-python")
CHARTS_PATH = f"/assets/vega-{CHARTS_VERSION}.js"
YEAR = "public, max-age=31536000, immutable"
GLOBALS = "window.vegaEmbed = vegaEmbed; window.vega = vega; window.vegaLite = vegaLite;"


@dataclass(frozen=True)
class Bundle:
    """The chart library's JavaScript, plain and gzipped, with its ETag."""

    plain: bytes
    gzipped: bytes
    etag: str


@cache
def chart_bundle() -> Bundle:
    """Vega + Vega-Lite + Vega-Embed as one script, from the installed vl-convert package."""
    import vl_convert

    plain = vl_convert.javascript_bundle(GLOBALS).encode()
    return Bundle(plain, gzip.compress(plain, 6), f'"{hashlib.sha256(plain).hexdigest()[:20]}"')


def warm_up() -> None:
    """Build the bundle in a background thread, so the first page with a chart needn't wait."""
    threading.Thread(target=chart_bundle, name="chart-bundle", daemon=True).start()


@asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    warm_up()
    yield


router = APIRouter(include_in_schema=False, lifespan=_lifespan)


@router.get("/assets/vega-{release}.js")
def charts_js(release: str, request: Request) -> Response:
    if release != CHARTS_VERSION:
        raise HTTPException(404, f"this server has the chart library {CHARTS_VERSION} only")
    bundle = chart_bundle()
    headers = {"Cache-Control": YEAR, "ETag": bundle.etag, "Vary": "Accept-Encoding"}
    if request.headers.get("if-none-match") == bundle.etag:
        return Response(status_code=304, headers=headers)
    body = bundle.plain
    if "gzip" in request.headers.get("accept-encoding", ""):
        body, headers["Content-Encoding"] = bundle.gzipped, "gzip"
    return Response(body, media_type="text/javascript", headers=headers)


@router.get("/favicon.ico")
def favicon() -> FileResponse:
    """The brand mark, for browsers that ask for /favicon.ico whatever the page says."""
    return FileResponse(
        STATIC_DIR / "favicon.svg", media_type="image/svg+xml", headers={"Cache-Control": YEAR}
    )
