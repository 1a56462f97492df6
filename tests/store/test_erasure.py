"""Erasing a contact's personal data: through the running server and directly, idempotent.

The contact comes from a CRM file and from the Segment library (identify traits, track
properties carrying an email); touchpoints, cases and survey answers name it. After the
erasure nothing personal is left, every count that metrics use is the same, it is audited,
and doing it again changes nothing.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from segment.analytics.client import Client as SegmentClient

from outsidein.ingest import load_file
from outsidein.store import connect
from tests.ingest.helpers import write_csv
from tests.segment.conftest import SegmentServer

COUNTS = (
    "SELECT (SELECT count(*) FROM events WHERE user_id = 'u1'), "
    "(SELECT count(*) FROM contacts WHERE contact_id = 'u1' AND account_id = 'a1'), "
    "(SELECT count(*) FROM survey_responses WHERE contact_id = 'u1' AND score = 9), "
    "(SELECT count(*) FROM touchpoints WHERE contact_id = 'u1'), "
    "(SELECT count(*) FROM cases WHERE contact_id = 'u1')"
)


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "outsidein", *args],
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "COLUMNS": "400"},
    )


def test_erase_a_contact_through_the_server_then_again_directly(tmp_path: Path) -> None:
    server = SegmentServer(tmp_path / "server")
    con = connect(server.db)
    load_file(con, "accounts", write_csv(tmp_path / "a.csv", ["account_id", "name", "created_at"],
                                         [["a1", "Acme", "2024-01-01"]]))  # fmt: skip
    load_file(con, "contacts", write_csv(
        tmp_path / "c.csv", ["contact_id", "account_id", "name", "email", "title", "role"],
        [["u1", "a1", "Ada Lovelace", "ada@acme.test", "CTO", "champion"],
         ["u2", "a1", "Bob Stays", "bob@acme.test", "CFO", "user"]]))  # fmt: skip
    con.execute(
        "INSERT INTO touchpoints VALUES ('t1', 'a1', 'u1', TIMESTAMP '2024-03-01', 'call', "
        "'success', NULL, 'success', NULL, 'Ada said her mobile is 555-0100', 'f', now(), "
        "NULL, NULL), ('t2', 'a1', 'u2', TIMESTAMP '2024-03-01', 'call', 'success', NULL, "
        "'success', NULL, 'Bob note', 'f', now(), NULL, NULL)"
    )
    con.execute(
        "INSERT INTO cases VALUES ('k1', 'a1', 'u1', TIMESTAMP '2024-03-02', NULL, 'high', 8, "
        "'open', 'support', 'Ada Lovelace cannot log in', 'f', now())"
    )
    con.execute(
        "INSERT INTO survey_responses VALUES ('r1', 'a1', 'u1', 'nps-q1', TIMESTAMP "
        "'2024-03-03', 'nps', 9, NULL, NULL, NULL, 'Ada here: love it', 'f', now())"
    )
    con.close()
    server.start()
    try:
        errors: list[Any] = []
        client = SegmentClient(server.key, host=server.url, on_error=lambda e, b: errors.append(e))
        client.group("u1", "a1", {})
        client.identify("u1", {"email": "ada.l@gmail.test", "firstName": "Ada", "plan": "pro"})
        client.track("u1", "Exported", {"email": "ada@acme.test", "rows": 10})
        client.track("u1", "Exported", {"traits": {"phone": "555"}, "rows": 11})
        client.flush()
        client.join()
        assert errors == []
        server.wait_applied()
        said = _cli("contacts", "erase", "u1", "--db", str(server.db))
        assert said.returncode == 0, said.stderr
        assert "erased the personal data of u1" in said.stdout
        assert "events 2" in said.stdout and "survey_responses 1" in said.stdout
    finally:
        server.stop()

    [counts] = server.query(COUNTS)
    assert counts == (2, 1, 1, 1, 1)  # every row that figures count is still there
    assert server.query("SELECT contact_id, name, email, title, role FROM contacts ORDER BY 1") == [
        ("u1", None, None, None, "champion"),
        ("u2", "Bob Stays", "bob@acme.test", "CFO", "user"),
    ]
    props = server.query("SELECT properties::VARCHAR FROM events WHERE user_id = 'u1' ORDER BY 1")
    assert props == [('{"rows":10}',), ('{"rows":11,"traits":{}}',)]
    assert server.query("SELECT count(*) FROM segment_traits WHERE entity_id = 'u1'") == [(0,)]
    assert server.query("SELECT note FROM touchpoints ORDER BY touchpoint_id") == [
        (None,),
        ("Bob note",),
    ]
    assert server.query("SELECT subject FROM cases") == [(None,)]
    assert server.query('SELECT "comment", score FROM survey_responses') == [(None, 9.0)]

    again = _cli("contacts", "erase", "u1", "--db", str(server.db))
    assert again.returncode == 0 and "nothing left to erase" in again.stdout
    [after] = server.query(COUNTS)
    assert after == counts
    audits = server.query(
        "SELECT actor, target, detail->>'$.contacts' FROM audit_log "
        "WHERE action = 'contact.erase' ORDER BY seq"
    )
    assert audits == [("cli", "u1", "1"), ("cli", "u1", "0")]

    unknown = _cli("contacts", "erase", "nobody", "--db", str(server.db))
    assert unknown.returncode != 0 and "no contact or user 'nobody'" in unknown.stderr
    assert "Traceback" not in unknown.stderr
