"""`outsidein users ...` on a store, through a running server, and `serve` refusing to open
beyond the loopback with no users."""

from __future__ import annotations

import re
from pathlib import Path

from typer.testing import CliRunner, Result

from outsidein.auth.tokens import find_token
from outsidein.auth.users import authenticate
from outsidein.cli import app
from outsidein.errors import InvalidRequestError, OutsideInError
from outsidein.store import connect
from tests.cli.test_beside_server import Serving
from tests.web.conftest import seed_small


def cli(*args: str) -> Result:
    return CliRunner().invoke(app, list(args), env={"COLUMNS": "200"})


def test_users_are_managed_from_the_command_line(tmp_path: Path) -> None:
    db = str(tmp_path / "s.duckdb")
    made = cli("users", "create-admin", "--db", db)
    assert made.exit_code == 0, made.output
    password = re.search(r"password: (\S+)", made.output)
    assert password, made.output
    assert cli("users", "add", "dana", "csm", "--csm-id", "csm1", "--db", db).exit_code == 0
    no_book = cli("users", "add", "fox", "csm", "--db", db)
    assert isinstance(no_book.exception, InvalidRequestError) and "--csm-id" in str(
        no_book.exception
    )
    assert cli("users", "set-role", "dana", "manager", "--db", db).exit_code == 0
    reset = cli("users", "reset-password", "dana", "--db", db)
    new = re.search(r"new password: (\S+)", reset.output)
    assert new, reset.output
    token = cli("users", "token-create", "dana", "script", "--scope", "write", "--db", db)
    secret = re.search(r"(oiat_\S+)", token.output)
    assert secret, token.output
    assert cli("users", "disable", "dana", "--db", db).exit_code == 0
    listed = cli("users", "list", "--db", db).output
    assert re.search(r"admin\W+admin", listed) and re.search(r"dana\W+manager.*disabled", listed)
    con = connect(Path(db))
    try:
        assert authenticate(con, "admin", password.group(1)) is not None
        assert authenticate(con, "dana", new.group(1)) is None  # disabled
        assert find_token(con, secret.group(1)) is None  # a disabled user's token stops
    finally:
        con.close()


def test_users_are_managed_through_a_running_server(tmp_path: Path) -> None:
    db = seed_small(tmp_path / "store.duckdb")
    server = Serving(db)
    try:
        added = cli("users", "add", "vic", "viewer", "--password", "a-long-password", "--db",
                    str(db))  # fmt: skip
        assert added.exit_code == 0, added.output
        listed = cli("users", "list", "--db", str(db))
        assert "vic" in listed.output and "viewer" in listed.output
    finally:
        server.stop()


def test_serving_beyond_the_loopback_without_users_is_refused(tmp_path: Path) -> None:
    db = seed_small(tmp_path / "store.duckdb")
    refused = cli("serve", "--db", str(db), "--host", "0.0.0.0", "--port", "0")
    assert isinstance(refused.exception, OutsideInError)
    assert "no users" in str(refused.exception)
    assert "outsidein users create-admin" in str(refused.exception)
