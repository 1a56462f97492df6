"""The outbox against real receivers on 127.0.0.1: an SMTP server (aiosmtpd) and an HTTP
server. Delivery, retries with the same idempotency key, dead letters and their retry,
unsubscribe, the frequency cap and quiet hours in the contact's time zone."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, time, timedelta
from pathlib import Path

import duckdb
import pytest

from outsidein.config import OutsideInConfig
from outsidein.outbox import (
    TemplateError,
    contact_of_token,
    deliver_due,
    enqueue,
    get_message,
    retry,
    set_consent,
    unsubscribe_token,
)
from outsidein.outbox.deliver import backoff
from outsidein.settings.outbox import OutboxConfig, OutboxSettings, QuietHours, Template
from outsidein.store import connect
from tests.web.conftest import seed_small

from .receivers import HttpReceiver, SmtpReceiver

NOON = datetime(2026, 6, 1, 12, 0)


class Clock:
    """The delivery's now, moved by the test (retries come due without waiting)."""

    def __init__(self, at: datetime = NOON) -> None:
        self.at = at

    def __call__(self) -> datetime:
        return self.at

    def later(self, **delta: float) -> None:
        self.at += timedelta(**delta)


def config(**outbox: object) -> OutsideInConfig:
    base: dict[str, object] = {"quiet_hours": QuietHours(enabled=False), "backoff_seconds": 10}
    return OutsideInConfig(outbox=OutboxConfig.model_validate(base | outbox))


@pytest.fixture
def con(tmp_path: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    path = seed_small(tmp_path / "s.duckdb")
    con = connect(path)
    yield con
    con.close()


def smtp_settings(smtp: SmtpReceiver) -> OutboxSettings:
    return OutboxSettings(
        smtp_host="127.0.0.1", smtp_port=smtp.port, smtp_security="none",
        from_address="csm@vendor.test", public_url="http://127.0.0.1:9",
    )  # fmt: skip


def email_to_ada(
    con: duckdb.DuckDBPyConnection, key: str, cfg: OutsideInConfig, clock: Clock | None = None
) -> str:
    return enqueue(
        con, channel="email", account_id="A-001", contact_id="C-1", template="check_in",
        context={}, idempotency_key=key, source="test", config=cfg,
        now=NOON if clock is None else clock(),
    )  # fmt: skip


def webhook(con: duckdb.DuckDBPyConnection, key: str, cfg: OutsideInConfig) -> str:
    return enqueue(
        con, channel="webhook", account_id="A-001", contact_id=None, template="risk_alert",
        context={"reason": "health dropped"}, idempotency_key=key, source="playbook:risk",
        config=cfg, now=NOON,
    )  # fmt: skip


def test_enqueue_is_idempotent_and_renders_the_accounts_fields(
    con: duckdb.DuckDBPyConnection,
) -> None:
    cfg = config()
    first = email_to_ada(con, "pb:renewal:A-001:2026-06", cfg)
    again = email_to_ada(con, "pb:renewal:A-001:2026-06", cfg)
    assert first == again
    assert con.execute("SELECT count(*) FROM outbox_messages").fetchall() == [(1,)]
    message, attempts = get_message(con, first)
    assert message.subject == "How is Acme Corp doing?"
    assert message.body.startswith("Hi Ada,\n\nIt's Dana Scully from our team.")
    assert "/unsubscribe/" in message.body and attempts == []
    assert message.status == "queued" and message.state == "queued"


def test_an_unknown_field_names_the_template_and_the_field(
    con: duckdb.DuckDBPyConnection,
) -> None:
    cfg = config(templates={"bad": Template(subject="Hi", body="Dear {{ contact.nickname }}")})
    with pytest.raises(TemplateError, match=r"template 'bad' \(body\): .*'nickname'"):
        enqueue(
            con, channel="email", account_id="A-001", contact_id="C-1", template="bad",
            context={}, idempotency_key="k", source="test", config=cfg,
        )  # fmt: skip
    with pytest.raises(TemplateError, match=r"no template named 'nope' \(there are: bad\)"):
        enqueue(
            con, channel="webhook", account_id="A-001", contact_id=None, template="nope",
            context={}, idempotency_key="k", source="test", config=cfg,
        )  # fmt: skip
    sandboxed = Template(body="{{ ''.__class__.__mro__ }}")
    with pytest.raises(TemplateError, match="template 'evil'"):
        enqueue(
            con, channel="webhook", account_id="A-001", contact_id=None, template="evil",
            context={}, idempotency_key="k2", source="test",
            config=config(templates={"evil": sandboxed}),
        )  # fmt: skip
    assert con.execute("SELECT count(*) FROM outbox_messages").fetchall() == [(0,)]


def test_an_email_is_delivered_with_its_keys_and_unsubscribe_header(
    con: duckdb.DuckDBPyConnection,
) -> None:
    cfg = config()
    message_id = email_to_ada(con, "k-email", cfg)
    with SmtpReceiver() as smtp:
        run = deliver_due(con, cfg.outbox, smtp_settings(smtp), now=Clock())
    assert run.sent == 1 and len(smtp.messages) == 1
    mail = smtp.messages[0]
    assert mail["To"] == "ada@acme.test" and mail["From"] == "csm@vendor.test"
    assert mail["Subject"] == "How is Acme Corp doing?"
    assert mail["Idempotency-Key"] == "k-email"
    assert mail["Message-ID"] == f"<{message_id}@outsidein>"
    assert mail["List-Unsubscribe"].startswith("<http://127.0.0.1:9/unsubscribe/")
    assert "Dana Scully" in mail.get_content()
    message, attempts = get_message(con, message_id)
    assert message.status == "sent" and message.recipient == "ada@acme.test"
    assert [a.outcome for a in attempts] == ["sent"]


def test_a_temporary_smtp_failure_is_retried_with_the_same_message_id(
    con: duckdb.DuckDBPyConnection,
) -> None:
    cfg, clock = config(), Clock()
    message_id = email_to_ada(con, "k-451", cfg)
    with SmtpReceiver() as smtp:
        smtp.behaviour.fail_next = 1
        first = deliver_due(con, cfg.outbox, smtp_settings(smtp), now=clock)
        assert first.failed == 1 and smtp.messages == []
        waiting, _ = get_message(con, message_id)
        assert waiting.state == "failing" and "451" in (waiting.last_error or "")
        assert deliver_due(con, cfg.outbox, smtp_settings(smtp), now=clock).touched == 0
        clock.later(seconds=10)  # the backoff: 5-10 s after the first failure
        assert deliver_due(con, cfg.outbox, smtp_settings(smtp), now=clock).sent == 1
    assert smtp.tries == 2 and smtp.messages[0]["Message-ID"] == f"<{message_id}@outsidein>"


def test_a_webhook_is_retried_after_the_receiver_fails_under_one_key(
    con: duckdb.DuckDBPyConnection,
) -> None:
    cfg, clock = config(), Clock()
    message_id = webhook(con, "pb:risk:A-001:1", cfg)
    with HttpReceiver() as hook:
        hook.behaviour.fail_next = 2
        settings = OutboxSettings(webhook_url=hook.url)
        for _ in range(3):
            deliver_due(con, cfg.outbox, settings, now=clock)
            clock.later(seconds=60)
    assert len(hook.tries) == 3 and len(hook.received) == 1
    assert {t.headers["idempotency-key"] for t in hook.tries} == {"pb:risk:A-001:1"}
    body = hook.received[0].body
    assert body["text"].startswith(":warning: Acme Corp (A-001): health")
    assert body["account_id"] == "A-001" and body["message_id"] == message_id
    assert body["idempotency_key"] == "pb:risk:A-001:1"
    assert body["context"] == {"reason": "health dropped"}
    message, attempts = get_message(con, message_id)
    assert message.status == "sent" and message.attempts == 3
    assert [a.outcome for a in attempts] == ["failed", "failed", "sent"]


def test_backoff_doubles_up_to_its_cap_with_jitter() -> None:
    cfg = OutboxConfig(backoff_seconds=10, max_backoff_seconds=60)
    assert [backoff(cfg, n, lambda: 1.0) for n in (1, 2, 3, 4, 5)] == [10, 20, 40, 60, 60]
    assert backoff(cfg, 2, lambda: 0.0) == 10  # jitter: half to all of the wait


def test_dead_letter_after_the_retry_limit_then_retried_by_hand(
    con: duckdb.DuckDBPyConnection,
) -> None:
    cfg, clock = config(max_attempts=3), Clock()
    message_id = webhook(con, "k-dead", cfg)
    with HttpReceiver() as hook:
        hook.behaviour.fail_next = 100
        settings = OutboxSettings(webhook_url=hook.url)
        for _ in range(5):
            deliver_due(con, cfg.outbox, settings, now=clock)
            clock.later(minutes=10)
        dead, attempts = get_message(con, message_id)
        assert dead.status == "dead" and len(attempts) == 3 and len(hook.tries) == 3
        assert dead.held == "3 attempts failed" and "503" in (dead.last_error or "")
        hook.behaviour.fail_next = 0
        again = retry(con, message_id, now=clock())
        assert again.status == "queued" and again.attempts == 0
        assert deliver_due(con, cfg.outbox, settings, now=clock).sent == 1
    assert hook.keys() == ["k-dead"]
    assert [a.attempt for a in get_message(con, message_id)[1]] == [1, 2, 3, 4]


def test_a_refusal_is_a_dead_letter_at_once(con: duckdb.DuckDBPyConnection) -> None:
    cfg = config()
    message_id = webhook(con, "k-400", cfg)
    with HttpReceiver() as hook:
        hook.behaviour.refuse = True
        run = deliver_due(con, cfg.outbox, OutboxSettings(webhook_url=hook.url), now=Clock())
    assert run.dead == 1
    message, attempts = get_message(con, message_id)
    assert message.status == "dead" and message.held == "refused by the receiver"
    assert [a.outcome for a in attempts] == ["refused"]


def test_an_unsubscribed_contact_gets_nothing(con: duckdb.DuckDBPyConnection) -> None:
    cfg = config()
    token = unsubscribe_token(con, "C-1")
    assert contact_of_token(con, token) == "C-1"
    with pytest.raises(Exception, match="not valid"):
        contact_of_token(con, unsubscribe_token(con, "C-2")[:-3] + "AAA")
    message_id = email_to_ada(con, "k-unsub", cfg)
    set_consent(con, contact_of_token(con, token), "unsubscribed", "link")
    with SmtpReceiver() as smtp:
        run = deliver_due(con, cfg.outbox, smtp_settings(smtp), now=Clock())
    assert run.suppressed == 1 and smtp.tries == 0
    message, _ = get_message(con, message_id)
    assert message.status == "suppressed" and message.held == "the contact unsubscribed"


def test_the_frequency_cap_holds_a_message_until_the_period_allows(
    con: duckdb.DuckDBPyConnection,
) -> None:
    cfg, clock = config(cap_messages=2, cap_period_hours=24), Clock()
    ids = [email_to_ada(con, f"k-cap-{i}", cfg, clock) for i in range(3)]
    with SmtpReceiver() as smtp:
        settings = smtp_settings(smtp)
        run = deliver_due(con, cfg.outbox, settings, now=clock)
        assert (run.sent, run.held) == (2, 1) and len(smtp.messages) == 2
        held, _ = get_message(con, ids[2])
        assert held.status == "queued" and held.next_attempt_at == NOON + timedelta(hours=24)
        assert (held.held or "").startswith("frequency cap (2 per 24 h) until 2026-06-02 12:00")
        clock.later(hours=23)
        assert deliver_due(con, cfg.outbox, settings, now=clock).touched == 0
        clock.later(hours=1)
        assert deliver_due(con, cfg.outbox, settings, now=clock).sent == 1
    assert len(smtp.messages) == 3


def test_quiet_hours_wait_for_the_contacts_own_morning(con: duckdb.DuckDBPyConnection) -> None:
    con.execute("UPDATE contacts SET timezone = 'Asia/Tokyo' WHERE contact_id = 'C-1'")
    quiet = QuietHours(start=time(20), end=time(8), default_timezone="Europe/London")
    cfg = config(quiet_hours=quiet)
    clock = Clock(datetime(2026, 6, 1, 13, 0))  # 22:00 in Tokyo, 14:00 in London
    tokyo = email_to_ada(con, "k-tokyo", cfg, clock)
    london = enqueue(
        con, channel="email", account_id="A-001", contact_id="C-2", template="check_in",
        context={}, idempotency_key="k-london", source="test", config=cfg, now=clock(),
    )  # fmt: skip
    with SmtpReceiver() as smtp:
        settings = smtp_settings(smtp)
        run = deliver_due(con, cfg.outbox, settings, now=clock)
        assert (run.sent, run.held) == (1, 1)
        assert [m["To"] for m in smtp.messages] == ["bob@acme.test"]
        assert get_message(con, london)[0].status == "sent"
        held, _ = get_message(con, tokyo)
        assert held.next_attempt_at == datetime(2026, 6, 1, 23, 0)  # 08:00 in Tokyo
        assert "quiet hours (Asia/Tokyo)" in (held.held or "")
        clock.later(hours=10)
        assert deliver_due(con, cfg.outbox, settings, now=clock).sent == 1
    assert [m["To"] for m in smtp.messages] == ["bob@acme.test", "ada@acme.test"]


def test_the_renewal_date_is_the_renewals_calendars_and_follows_new_data(
    con: duckdb.DuckDBPyConnection,
) -> None:
    from outsidein.analytics.backend import store_sources
    from outsidein.analytics.contracts import next_renewals
    from outsidein.outbox.render import fields_for
    from outsidein.settings.analytics import AnalyticsConfig

    def calendar() -> dict[str, object]:
        due = next_renewals(store_sources(con), AnalyticsConfig(), datetime.now(UTC).date())
        rows = due.group_by("account_id").agg(d=due.renewal_date.min()).to_pyarrow().to_pylist()
        return {r["account_id"]: r["d"] for r in rows}

    expected = calendar()
    assert expected, "the small company has renewals"
    for account in ("A-001", "A-002", "A-003", "A-004"):
        fields = fields_for(con, account, None, AnalyticsConfig())
        assert fields["renewal_date"] == expected.get(account), account
    con.execute("UPDATE subscriptions SET loaded_at = now(), start_date = start_date - 7 "
                "WHERE account_id = 'A-002'")  # fmt: skip
    moved = calendar()["A-002"]
    assert moved != expected["A-002"]
    assert fields_for(con, "A-002", None, AnalyticsConfig())["renewal_date"] == moved


def test_a_message_that_cannot_be_sent_does_not_block_the_others(
    con: duckdb.DuckDBPyConnection,
) -> None:
    cfg, clock = config(max_attempts=3), Clock()
    con.execute(
        "UPDATE contacts SET email = 'ada@acme.test\nBcc: all@acme.test' WHERE contact_id = 'C-1'"
    )
    broken = email_to_ada(con, "k-broken", cfg)
    crashed = webhook(con, "k-crashed", cfg)
    con.execute("UPDATE outbox_messages SET attempts = 3 WHERE message_id = ?", [crashed])
    fine = enqueue(
        con, channel="email", account_id="A-001", contact_id="C-2", template="check_in",
        context={}, idempotency_key="k-fine", source="test", config=cfg, now=NOON,
    )  # fmt: skip
    with SmtpReceiver() as smtp:
        run = deliver_due(con, cfg.outbox, smtp_settings(smtp), now=clock)
    assert (run.dead, run.sent) == (2, 1) and [m["To"] for m in smtp.messages] == ["bob@acme.test"]
    message, _ = get_message(con, broken)
    assert message.status == "dead" and "cannot write the email" in (message.last_error or "")
    assert get_message(con, crashed)[0].held == (
        "3 attempts never finished (the process stopped mid-send)"
    )
    assert get_message(con, fine)[0].status == "sent"
