"""`outsidein rejects` while a real `outsidein serve` holds the store: the same answers."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from outsidein.cli import app
from tests.cli.test_beside_server import Serving, cli
from tests.ingest.helpers import write_csv
from tests.web.conftest import seed_small

pytestmark = pytest.mark.timeout(240)

SUB_HEADER = ["subscription_id", "account_id", "plan", "mrr", "start_date", "status"]


def test_list_show_and_clear_through_the_server(tmp_path: Path) -> None:
    db = seed_small(tmp_path / "store.duckdb")
    rows = [["N-1", "A-001", "p", "10", "2024-01-01", "Live"],
            ["N-2", "A-404", "p", "10", "2024-01-01", "active"]]  # fmt: skip
    loaded = cli("load", "subscriptions", str(write_csv(tmp_path / "s.csv", SUB_HEADER, rows)),
                 "--db", str(db))  # fmt: skip
    assert loaded.exit_code == 1, loaded.output
    load_id = loaded.stdout.split("rejects show ")[1].split("`")[0]
    reads = [
        ["rejects", "list"],
        ["rejects", "list", "--format", "json"],
        ["rejects", "show", load_id[:6]],
        ["rejects", "show", load_id, "--format", "csv"],
    ]
    local = {" ".join(args): cli(*args, "--db", str(db)).stdout for args in reads}
    assert "--values status:VALUE=trialing" in local["rejects list"]

    server = Serving(db)
    try:
        for args in reads:
            served = cli(*args, "--db", str(db))
            assert served.exit_code == 0, served.output
            assert f"through the server at {server.url}" in served.stderr
            assert served.stdout == local[" ".join(args)], args
        missing = cli("rejects", "show", "zzzzzz", "--db", str(db))
        assert missing.exit_code == 1 and "no load 'zzzzzz'" in str(missing.exception)
        kept = CliRunner().invoke(app, ["rejects", "clear", load_id, "--db", str(db)], input="n\n")
        assert kept.exit_code == 1 and "nothing deleted" in kept.stdout
        cleared = cli("rejects", "clear", load_id, "--yes", "--db", str(db))
        assert cleared.exit_code == 0 and "deleted 2 rejects of 1 load" in cleared.stdout
        assert "no rejects" in cli("rejects", "list", "--db", str(db)).stdout
    finally:
        server.stop()
