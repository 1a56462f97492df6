"""`outsidein load` with transforms, as a user runs it: locally and through the server the
same result, one source to several targets, notes and custom fields in the summary, one-line
errors naming the option."""

from __future__ import annotations

from pathlib import Path

import duckdb

from tests.cli.test_beside_server import Serving, cli, loading, normal  # noqa: F401 (fixture)
from tests.cli.test_load_command import run
from tests.ingest.helpers import write_csv

HEADER = ["Id", "Company", "Created", "Tier", "Is Test", "Segment"]
ROWS = [
    ["T-1", "O'Reilly", "2024-01-05", "Pro", "FALSE", "Enterprise"],
    ["T-2", "Test Co", "2024-02-01", "Basic", "TRUE", "SMB"],
    ["T-3", "Third", "2024-02-01", "Basic", "false", "Mid-Market"],
]
OPTIONS = [
    "--map", "Id=account_id", "--map", "Company=name", "--map", "Company=industry",
    "--map", "Created=created_at", "--where", '"Is Test" != true',
    "--values", "segment:enterprise=enterprise,mid-market=mid_market,*=smb",
]  # fmt: skip


def test_transforms_load_the_same_through_the_server(
    loading: tuple[Serving, Path],  # noqa: F811
    tmp_path: Path,
) -> None:
    server, copy = loading
    path = write_csv(tmp_path / "crm.csv", HEADER, ROWS)
    local = cli("load", "accounts", str(path), *OPTIONS, "--db", str(copy))
    served = cli("load", "accounts", str(path), *OPTIONS, "--db", str(server.db))
    assert local.exit_code == served.exit_code == 0, served.output
    assert "2 rows read, 2 new" in served.stdout
    assert "1 rows left out by --where" in served.stdout
    assert "kept as custom fields: tier (--no-keep-extra ignores them)" in served.stdout
    assert normal(served.stdout) == normal(local.stdout)
    body = server.http.get(server.url + "/api/v1/accounts/T-1").json()
    assert (body["account"]["name"], body["account"]["industry"]) == ("O'Reilly", "O'Reilly")
    assert body["account"]["segment"] == "enterprise"
    assert [(f["name"], f["value"]) for f in body["custom_fields"]] == [("tier", "Pro")]
    again = cli("load", "accounts", str(path), *OPTIONS, "--db", str(server.db))
    assert "already loaded" in again.stdout
    other = cli("load", "accounts", str(path), *OPTIONS, "--no-keep-extra", "--db", str(copy))
    assert "already loaded" not in other.stdout and "ignored columns: Tier" in other.stdout
    server.stop()
    con = duckdb.connect(str(copy), read_only=True)
    assert con.execute("SELECT segment FROM accounts WHERE account_id = 'T-3'").fetchall() == [
        ("mid_market",)
    ]
    con.close()


def test_a_bad_transform_is_one_line_naming_the_option(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "crm.csv", HEADER, ROWS)
    bad = run("load", "accounts", str(path), "--derive", "status=x if", cwd=tmp_path)
    assert bad.returncode == 2
    assert "--derive 'status=x if': expected a column name" in bad.stderr
    unknown = run("load", "accounts", str(path), *OPTIONS, "--where", "Colour = red", cwd=tmp_path)
    assert unknown.returncode == 2
    assert "--where 'Colour = red': the file has no column 'Colour'" in unknown.stderr
    assert "Traceback" not in bad.stderr + unknown.stderr
    assert len(bad.stderr.strip().splitlines()) == 1
