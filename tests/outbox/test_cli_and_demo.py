"""``outsidein outbox ...`` on a store no server holds; the demo's touches (logged, never
sent); a contact's time zone loaded from a file (an unknown zone is a reject that says so)."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from outsidein.cli import app as cli_app
from outsidein.config import OutsideInConfig
from outsidein.ingest import load_file
from outsidein.outbox import enqueue, get_message
from outsidein.outbox.demo import seed_demo_outbox
from outsidein.settings.outbox import OutboxConfig
from outsidein.store import connect
from tests.web.conftest import seed_small

from .receivers import HttpReceiver


def cli(db: Path, *args: str, env: dict[str, str] | None = None) -> str:
    result = CliRunner().invoke(cli_app, [*args, "--db", str(db)], env=env)
    assert result.exit_code == 0, result.output
    return result.output


def test_list_show_retry_send_test_deliver_and_consent(tmp_path: Path) -> None:
    db = seed_small(tmp_path / "s.duckdb")
    (tmp_path / "outsidein.toml").write_text("[outbox]\nmax_attempts = 1\n")
    con = connect(db)
    first = enqueue(
        con, channel="webhook", account_id="A-001", contact_id=None, template="risk_alert",
        context={}, idempotency_key="cli-1", source="test",
    )  # fmt: skip
    con.close()
    with HttpReceiver() as hook:
        env = {"OUTSIDEIN_OUTBOX_WEBHOOK_URL": hook.url}
        hook.behaviour.fail_next = 1
        assert "0 sent, 0 to retry, 1 dead letters" in cli(db, "outbox", "deliver", env=env)
        listed = json.loads(cli(db, "outbox", "list", "--status", "dead", "--json"))
        assert [m["message_id"] for m in listed["items"]] == [first]
        shown = cli(db, "outbox", "show", first)
        assert "status dead" in shown and "attempt 1" in shown and "HTTP 503" in shown
        assert "queued again" in cli(db, "outbox", "retry", first)
        assert "1 sent" in cli(db, "outbox", "deliver", env=env)
        sent = cli(
            db, "outbox", "send-test", "--template", "risk_alert", "--account", "A-002", env=env
        )
        assert ": sent to 127.0.0.1" in sent
    assert hook.keys()[0] == "cli-1" and hook.keys()[1].startswith("send-test:")
    assert hook.received[1].body["text"].startswith(":warning: Globex (A-002)")
    assert "C-1: unsubscribed" in cli(db, "outbox", "consent", "C-1", "unsubscribed")
    con = connect(db)
    try:
        assert con.execute("SELECT status, via FROM contact_consent").fetchall() == [
            ("unsubscribed", "cli")
        ]
    finally:
        con.close()


def test_the_demo_logs_its_touches_and_shows_each_state(tmp_path: Path) -> None:
    con = connect(seed_small(tmp_path / "s.duckdb"))
    con.execute(
        "INSERT INTO contacts (contact_id, account_id, name, email, role, source, loaded_at) "
        "VALUES ('C-9', 'A-002', 'Gil Globex', 'gil@globex.test', 'champion', 'x', now())"
    )
    con.execute(
        "INSERT INTO health_scores VALUES ('A-001', now(), 'default', 30, 'red', NULL, 'f', "
        "now()), ('A-002', now(), 'default', 50, 'amber', NULL, 'g', now())"
    )
    quiet_free = {"quiet_hours": {"enabled": False}, "cap_messages": 1}
    sending = OutsideInConfig(outbox=OutboxConfig.model_validate(quiet_free))
    assert seed_demo_outbox(con, sending).queued == 0  # `send`: the demo never mails anyone
    logged = OutsideInConfig(outbox=OutboxConfig.model_validate(quiet_free | {"delivery": "log"}))
    made = seed_demo_outbox(con, logged)
    again = seed_demo_outbox(con, logged)  # a second demo run adds nothing
    assert made.queued == 5 and again.counts == made.counts
    assert made.counts == {"queued": 1, "failing": 0, "sent": 3, "dead": 0, "suppressed": 1}
    held = con.execute("SELECT held FROM outbox_messages WHERE status = 'queued'").fetchall()
    assert held[0][0].startswith("frequency cap (1 per 168 h)")
    recipients = con.execute(
        "SELECT recipient FROM outbox_messages WHERE status = 'sent' ORDER BY recipient"
    ).fetchall()
    assert recipients == [("log: ada@acme.test",), ("log: webhook",), ("log: webhook",)]
    con.close()


def test_a_contacts_time_zone_is_loaded_and_an_unknown_one_rejected(tmp_path: Path) -> None:
    con = connect(seed_small(tmp_path / "s.duckdb"))
    path = tmp_path / "contacts.csv"
    path.write_text(
        "contact_id,account_id,name,email,timezone\n"
        "C-7,A-001,Ann,ann@acme.test,Europe/Paris\n"
        "C-8,A-001,Ben,ben@acme.test,Mars/Olympus\n"
    )
    result = load_file(con, "contacts", path)
    assert (result.rows_loaded, result.rows_rejected) == (1, 1)
    assert con.execute("SELECT timezone FROM contacts WHERE contact_id = 'C-7'").fetchall() == [
        ("Europe/Paris",)
    ]
    [(line, column, value, reason)] = con.execute(
        'SELECT line, "column", "value", reason FROM rejects'
    ).fetchall()
    assert (line, column, value) == (3, "timezone", "Mars/Olympus")
    assert reason.startswith("timezone is not an IANA time zone name (e.g. Europe/Paris")
    message = enqueue(
        con, channel="email", account_id="A-001", contact_id="C-7", template="check_in",
        context={}, idempotency_key="tz", source="test",
    )  # fmt: skip
    assert get_message(con, message)[0].body.startswith("Hi Ann,")
    con.close()
