"""The playbooks' touches are queued by the outbox with their own keys, once, and a touch
that cannot be queued is taken and named, blocking none (outsidein.outbox.touches)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from outsidein.config import parse_config
from outsidein.outbox.touches import take_touches
from outsidein.playbooks import run_playbooks
from outsidein.settings.outbox import OutboxSettings
from outsidein.store import connect
from tests.web.conftest import insert

NOW = datetime.now(UTC).replace(tzinfo=None, microsecond=0)


def test_touches_are_queued_once_by_contact_role_and_refusals_are_named(tmp_path: Path) -> None:
    con = connect(tmp_path / "s.duckdb")
    insert(con, "accounts", [(a, f"Acme {a}", None, "Software", "smb", "NA", 10, "csm1",
                              datetime(2024, 1, 1)) for a in ("A-1", "A-2")])  # fmt: skip
    insert(con, "contacts", [("C-1", "A-1", "Jane Roe", "jane@acme.test", "champion", None,
                              None)])  # fmt: skip
    insert(con, "survey_responses", [
        (f"R-{a}", a, None, "NPS", NOW, "nps", 2.0, None, None, None, None) for a in ("A-1", "A-2")
    ])  # fmt: skip
    config = parse_config(
        {"playbooks": {"playbooks": [{
            "name": "detractor", "cooldown_days": 0,
            "trigger": {"kind": "survey_answer", "survey": "nps", "at_most": 6},
            "actions": [{"kind": "touch", "channel": "email", "template": "check_in",
                         "to": "champion"}],
        }]}},
        "test",
    )  # fmt: skip
    run_playbooks(con, config, now=NOW)
    settings = OutboxSettings(public_url="http://127.0.0.1:8000")
    taken = take_touches(con, config, settings)
    again = take_touches(con, config, settings)
    rows = con.execute(
        "SELECT account_id, contact_id, channel, source, idempotency_key FROM outbox_messages"
    ).fetchall()
    con.close()
    assert taken.queued == 1 and again.queued == 0 and not again.refused
    ((account, contact, channel, source, key),) = rows
    assert (account, contact, channel, source) == ("A-1", "C-1", "email", "playbook:detractor")
    assert key.startswith("pb-")
    ((_, why),) = taken.refused  # A-2 has no champion: taken, named, not queued
    assert "A-2" in why and "champion" in why
