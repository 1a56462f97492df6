"""Which source set each field, across file loads, reloads and Segment calls (in-process).

A file reload records the new file for the values it changes and keeps the earlier source
of the values it leaves; precedence decides both ways, so a file cannot overwrite a field
where the product was ranked first, and a blank in a file never erases the product's value.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from outsidein.config import load_config
from outsidein.errors import ConfigError
from outsidein.ingest import load_file
from outsidein.precedence import PrecedenceConfig
from outsidein.web.queries.provenance import field_sources
from tests.ingest.helpers import write_csv

from .test_apply import Harness, group

HEADER = ["account_id", "name", "industry", "created_at"]


def _sources(h: Harness, table: str, key: str) -> dict[str, tuple[str, str, datetime]]:
    found = field_sources(h.con.cursor(), table, key)
    # the API's timestamps are UTC and say so (docs/api.md); the store's are naive UTC
    return {f: (s.kind, s.label, s.set_at.replace(tzinfo=None)) for f, s in found.items()}


def _load_time(h: Harness, path: Path) -> Any:
    [(at,)] = h.rows(f"SELECT started_at FROM load_log WHERE file = '{path.resolve()}'")
    return at


def _send_group(h: Harness, **traits: Any) -> None:
    h.start()
    try:
        h.send(group("u", "a1", "2024-05-01T00:00:00Z", **traits))
        h.apply()
    finally:
        h.stop()


def test_a_file_reload_records_the_file_as_the_source_of_what_it_changed(tmp_path: Path) -> None:
    h = Harness(tmp_path / "s.duckdb")
    v1 = write_csv(
        tmp_path / "crm-v1.csv",
        HEADER,
        [["a1", "Acme", "", "2023-01-01"], ["a2", "Beta", "retail", "2023-02-01"]],
    )
    load_file(h.con, "accounts", v1)
    t1 = _load_time(h, v1)
    assert _sources(h, "accounts", "a1") == {
        "name": ("file", "crm-v1.csv", t1),
        "created_at": ("file", "crm-v1.csv", t1),
    }
    _send_group(h, industry="Software", employees=40)
    product = datetime(2024, 5, 1)
    key = f"Segment key {h.rows('SELECT name FROM write_keys')[0][0]}"

    # v2 renames a1 and sets its industry; it has no employees column; a2 is unchanged.
    v2 = write_csv(
        tmp_path / "crm-v2.csv",
        HEADER,
        [["a1", "Acme Inc", "manufacturing", "2023-01-01"], ["a2", "Beta", "retail", "2023-02-01"]],
    )
    result = load_file(h.con, "accounts", v2)
    assert (result.rows_updated, result.rows_unchanged) == (1, 1)
    t2 = _load_time(h, v2)
    assert h.rows("SELECT name, industry, employees FROM accounts WHERE account_id = 'a1'") == [
        ("Acme Inc", "manufacturing", 40)
    ]
    assert _sources(h, "accounts", "a1") == {
        "name": ("file", "crm-v2.csv", t2),  # changed by the reload
        "industry": ("file", "crm-v2.csv", t2),  # files outrank the product by default
        "employees": ("segment", key, product),  # a blank in the file erases nothing
        "created_at": ("file", "crm-v1.csv", t1),  # unchanged: still v1's
    }
    assert _sources(h, "accounts", "a2") == {
        "name": ("file", "crm-v1.csv", t1),
        "industry": ("file", "crm-v1.csv", t1),
        "created_at": ("file", "crm-v1.csv", t1),
    }
    # The same file again changes nothing, sources included.
    assert load_file(h.con, "accounts", v2).already_loaded
    h.con.close()


def test_a_file_does_not_overwrite_what_the_product_outranks_it_for(tmp_path: Path) -> None:
    # A key with the master-data scope: without it no precedence lets it replace a file's value.
    h = Harness(tmp_path / "s.duckdb", ("master-data",))
    h.precedence = PrecedenceConfig(accounts={"industry": ["segment", "file"]})
    load_file(
        h.con,
        "accounts",
        write_csv(tmp_path / "v1.csv", HEADER, [["a1", "Acme", "retail", "2023-01-01"]]),
    )
    _send_group(h, name="acme-product", industry="Software")
    # The product outranks files for industry only: the name stays the file's.
    assert h.rows("SELECT name, industry FROM accounts") == [("Acme", "Software")]
    v2 = write_csv(tmp_path / "v2.csv", HEADER, [["a1", "Acme 2", "wholesale", "2023-01-01"]])
    load_file(h.con, "accounts", v2, precedence=h.precedence)
    assert h.rows("SELECT name, industry FROM accounts") == [("Acme 2", "Software")]
    sources = _sources(h, "accounts", "a1")
    assert sources["name"][:2] == ("file", "v2.csv")
    assert sources["industry"][0] == "segment"
    # With the default ranking the same reload would have replaced it.
    v3 = write_csv(tmp_path / "v3.csv", HEADER, [["a1", "Acme 2", "wholesale", "2023-01-02"]])
    load_file(h.con, "accounts", v3)
    assert h.rows("SELECT industry FROM accounts") == [("wholesale",)]
    h.con.close()


def test_contacts_keep_their_file_values_and_account(tmp_path: Path) -> None:
    h = Harness(tmp_path / "s.duckdb")
    accounts = [["a1", "Acme", "", "2023-01-01"], ["a2", "Beta", "", "2023-01-01"]]
    load_file(h.con, "accounts", write_csv(tmp_path / "accounts.csv", HEADER, accounts))
    contacts = write_csv(
        tmp_path / "contacts.csv",
        ["contact_id", "account_id", "name", "email", "role"],
        [["u", "a1", "Ada Lovelace", "ada@acme.test", "champion"]],
    )
    load_file(h.con, "contacts", contacts)
    h.start()
    try:
        h.send(
            group("u", "a2", "2024-05-01T00:00:00Z"),
            {"type": "identify", "userId": "u", "messageId": "i1",
             "timestamp": "2024-05-02T00:00:00Z",
             "traits": {"name": "ada", "email": "ada@gmail.test", "title": "CTO", "role": "user"}},
        )  # fmt: skip
        h.apply()
    finally:
        h.stop()
    assert h.rows("SELECT contact_id, account_id, name, email, role, title FROM contacts") == [
        ("u", "a1", "Ada Lovelace", "ada@acme.test", "champion", "CTO")
    ]
    sources = _sources(h, "contacts", "u")
    assert {f: s[0] for f, s in sources.items()} == {
        "account_id": "file",
        "name": "file",
        "email": "file",
        "role": "file",
        "title": "segment",
    }
    assert sources["title"][2] == datetime(2024, 5, 2)
    h.con.close()


def test_precedence_settings_are_checked(tmp_path: Path) -> None:
    toml = tmp_path / "outsidein.toml"
    toml.write_text('[ingest.precedence]\naccounts.nmae = ["segment"]\n', encoding="utf-8")
    with pytest.raises(ConfigError, match=r"accounts.nmae: no such field; one of: name, "):
        load_config(toml)
    toml.write_text('[ingest.precedence]\ndefault = ["file", "file"]\n', encoding="utf-8")
    with pytest.raises(ConfigError, match="each source kind at most once"):
        load_config(toml)
    toml.write_text('[ingest.precedence]\ndefault = ["crm"]\n', encoding="utf-8")
    with pytest.raises(ConfigError, match=r"ingest\.precedence\.default"):
        load_config(toml)
    toml.write_text('[ingest.precedence]\ncontacts.title = ["segment"]\n', encoding="utf-8")
    precedence = load_config(toml).ingest.precedence
    assert precedence.ranking("contacts", "title") == ("segment", "file")
    assert precedence.overwritable("segment", "contacts", "title") == ("segment", "file")
    assert precedence.overwritable("segment", "contacts", "name") == ("segment",)


def test_every_precedence_setting_is_documented() -> None:
    root = Path(__file__).resolve().parents[2] / "docs"
    config = (root / "configuration.md").read_text(encoding="utf-8")
    for name in PrecedenceConfig.model_fields:
        assert f"`ingest.precedence.{name}" in config, name
    assert "## Field sources" in (root / "data-model.md").read_text(encoding="utf-8")
    assert "[ingest.precedence]" in (root / "segment.md").read_text(encoding="utf-8")
