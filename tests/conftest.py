"""Shared fixtures: real DuckDB store files in temporary folders."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest

from outsidein.store import connect


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "store" / "outsidein.duckdb"


@pytest.fixture
def store(db_path: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    con = connect(db_path)
    yield con
    con.close()


CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture
def page() -> Iterator[object]:
    """A page in Debian's headless Chromium (installed by `make browser`), 1360 x 900."""
    from playwright.sync_api import sync_playwright

    chromium = shutil.which("chromium") or "/usr/bin/chromium"
    assert Path(chromium).exists(), "no chromium: `make browser` installs Debian's package"
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, headless=True, args=CHROMIUM_ARGS)
        context = browser.new_context(viewport={"width": 1360, "height": 900})
        try:
            yield context.new_page()
        finally:
            context.close()
            browser.close()
