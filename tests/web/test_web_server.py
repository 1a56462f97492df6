"""``outsidein.web.serve`` and ``outsidein serve``: the server owns the store, or says who does."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from outsidein.errors import StoreLockedError
from outsidein.store import connect
from outsidein.web import serve

HOLD_LOCK = """
import sys, time, duckdb
con = duckdb.connect(sys.argv[1])
print("locked", flush=True)
time.sleep(120)
"""


@pytest.fixture
def locked_store(tmp_path: Path) -> Iterator[Path]:
    """A store whose write lock another process holds until the test ends."""
    path = tmp_path / "s.duckdb"
    connect(path).close()
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD_LOCK, str(path)], stdout=subprocess.PIPE, text=True
    )
    try:
        assert holder.stdout is not None
        assert holder.stdout.readline().strip() == "locked"
        yield path
    finally:
        holder.kill()
        holder.wait(timeout=30)
        if holder.stdout is not None:
            holder.stdout.close()


def test_serve_on_a_locked_store_raises_the_clean_error(locked_store: Path) -> None:
    with pytest.raises(StoreLockedError, match=r"is in use by process \d+ \(usually"):
        serve(locked_store, "127.0.0.1", 0)


def test_serve_command_is_registered() -> None:
    from typer.testing import CliRunner

    from outsidein.cli import app
    from outsidein.cli import serve as _serve  # noqa: F401  registers the command

    result = CliRunner().invoke(app, ["serve", "--help"])
    assert result.exit_code == 0, result.output
    for option in ("--db", "--host", "--port"):
        assert option in result.output


def test_serve_command_on_a_locked_store_says_who_holds_it(locked_store: Path) -> None:
    from typer.testing import CliRunner

    from outsidein.cli import app

    result = CliRunner().invoke(app, ["serve", "--db", str(locked_store), "--port", "1"])
    assert isinstance(result.exception, StoreLockedError)
    assert "is serving" not in result.output  # nothing is announced for a server that never ran
