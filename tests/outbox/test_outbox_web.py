"""The outbox through a real server: the API (roles, a CSM's book, idempotency), the
pipeline step delivering to real receivers on 127.0.0.1, the page's dead letters retried by
a signed-in browser session with its CSRF token, and the public unsubscribe link."""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from outsidein.web import create_app
from tests.web.conftest import LiveServer, seed_small

from .receivers import HttpReceiver, SmtpReceiver

pytestmark = pytest.mark.timeout(240)
TOML = """
[outbox]
backoff_seconds = 0.2
max_backoff_seconds = 0.5
max_attempts = 2

[outbox.quiet_hours]
enabled = false
"""


@pytest.fixture(scope="module")
def world(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[LiveServer, HttpReceiver, SmtpReceiver]]:
    folder = tmp_path_factory.mktemp("outbox-web")
    db = seed_small(folder / "s.duckdb")
    (folder / "outsidein.toml").write_text(TOML)
    with HttpReceiver() as hook, SmtpReceiver() as smtp, pytest.MonkeyPatch.context() as env:
        server = LiveServer(create_app(db, config_path=folder / "outsidein.toml"))
        env.setenv("OUTSIDEIN_OUTBOX_WEBHOOK_URL", hook.url)
        env.setenv("OUTSIDEIN_OUTBOX_SMTP_HOST", "127.0.0.1")
        env.setenv("OUTSIDEIN_OUTBOX_SMTP_PORT", str(smtp.port))
        env.setenv("OUTSIDEIN_OUTBOX_SMTP_SECURITY", "none")
        env.setenv("OUTSIDEIN_OUTBOX_PUBLIC_URL", server.url)
        server.start()
        try:
            yield server, hook, smtp
        finally:
            server.stop()


def until(check: Callable[[], Any], seconds: float = 20) -> Any:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        time.sleep(0.1)
    raise AssertionError("not within the time")


def post(server: LiveServer, key: str, **fields: Any) -> httpx.Response:
    body = {"channel": "webhook", "account_id": "A-001", "template": "risk_alert",
            "idempotency_key": key, **fields}  # fmt: skip
    return server.http.post(f"{server.url}/api/v1/outbox/messages", json=body)


def status_of(server: LiveServer, message_id: str) -> str:
    got = server.http.get(f"{server.url}/api/v1/outbox/messages/{message_id}")
    return str(got.json()["status"])


def test_a_message_posted_twice_is_delivered_once(
    world: tuple[LiveServer, HttpReceiver, SmtpReceiver],
) -> None:
    server, hook, _ = world
    first, again = post(server, "api-once"), post(server, "api-once")
    assert first.status_code == again.status_code == 201, first.text
    message_id = first.json()["message_id"]
    assert again.json()["message_id"] == message_id
    until(lambda: status_of(server, message_id) == "sent")
    assert hook.keys().count("api-once") == 1
    detail = server.http.get(f"{server.url}/api/v1/outbox/messages/{message_id}").json()
    assert detail["source"] == "api:admin" and detail["sent_at"] is not None
    assert [a["outcome"] for a in detail["attempts_made"]] == ["sent"]
    steps = server.http.get(f"{server.url}/api/v1/status").json()["pipeline"]
    outbox_step = next(s for s in steps if s["name"] == "outbox")
    assert outbox_step["inputs"] == ["outbox_messages", "touch_requests"]
    assert outbox_step["last_error"] is None
    bad = post(server, "api-bad", template="nope")
    assert bad.status_code == 422 and bad.json()["error"]["code"] == "template_error"
    assert "no template named 'nope'" in bad.json()["error"]["message"]


def test_a_dead_letter_is_listed_and_retried_from_the_page(
    world: tuple[LiveServer, HttpReceiver, SmtpReceiver],
) -> None:
    server, hook, _ = world
    hook.behaviour.fail_next = 2  # max_attempts = 2: a dead letter
    message_id = post(server, "api-dead").json()["message_id"]
    until(lambda: status_of(server, message_id) == "dead")
    dead = server.http.get(f"{server.url}/api/v1/outbox/messages", params={"status": "dead"})
    assert message_id in [m["message_id"] for m in dead.json()["items"]]
    with httpx.Client(base_url=server.url, timeout=30) as browser:
        signed = browser.post(
            "/login",
            data={"username": server.username, "password": server.password, "next": "/outbox"},
            headers={"origin": server.url},
        )
        assert signed.status_code == 303
        page = browser.get("/outbox?status=dead", headers={"accept": "text/html"}).text
        assert f'data-message="{message_id}" data-status="dead"' in page
        assert "2 attempts failed" in page and "HTTP 503" in page
        form = re.search(
            rf'action="/outbox/messages/{message_id}/retry".*?name="csrf_token" value="([^"]+)"',
            page,
            re.S,
        )
        assert form, "no retry form with its CSRF token"
        refused = browser.post(f"/outbox/messages/{message_id}/retry", data={})
        assert refused.status_code == 403  # no CSRF token
        retried = browser.post(
            f"/outbox/messages/{message_id}/retry", data={"csrf_token": form.group(1)}
        )
        assert retried.status_code == 303
    until(lambda: status_of(server, message_id) == "sent")
    assert [t.headers["idempotency-key"] for t in hook.tries].count("api-dead") == 3


def test_the_unsubscribe_link_works_without_signing_in_and_is_honoured(
    world: tuple[LiveServer, HttpReceiver, SmtpReceiver],
) -> None:
    server, _, smtp = world
    made = post(server, "mail-1", channel="email", contact_id="C-2", template="check_in")
    assert made.status_code == 201, made.text
    until(lambda: status_of(server, made.json()["message_id"]) == "sent")
    mail = smtp.messages[-1]
    link = mail["List-Unsubscribe"].strip("<>")
    assert link.startswith(f"{server.url}/unsubscribe/") and link in mail.get_content()
    with httpx.Client(timeout=30) as anonymous:
        asked = anonymous.get(link)
        assert asked.status_code == 200 and "Stop the emails to b••@acme.test?" in asked.text
        assert "Acme" not in asked.text
        done = anonymous.post(link, headers={"origin": server.url})
        assert done.status_code == 200 and "is unsubscribed" in done.text
        forged = anonymous.get(f"{server.url}/unsubscribe/QzE.forged")
        assert forged.status_code == 404 and "not valid" in forged.text
    after = post(server, "mail-2", channel="email", contact_id="C-2", template="check_in")
    until(lambda: status_of(server, after.json()["message_id"]) == "suppressed")
    assert len([m for m in smtp.messages if m["To"] == "bob@acme.test"]) == 1
    back = server.http.put(f"{server.url}/api/v1/outbox/consent/C-2", json={"status": "subscribed"})
    assert back.status_code == 200 and back.json()["via"] == "api:admin"


def test_roles_and_a_csms_book(world: tuple[LiveServer, HttpReceiver, SmtpReceiver]) -> None:
    server, _, _ = world
    theirs = post(server, "globex-1", account_id="A-002").json()["message_id"]
    _, _, viewer = server.add_user("vera", "viewer")
    _, _, dana = server.add_user("dana", "csm", "csm1")
    with httpx.Client(base_url=server.url, headers={"Authorization": f"Bearer {viewer}"}) as v:
        assert v.get("/api/v1/outbox/messages").status_code == 200
        body = {"channel": "webhook", "account_id": "A-001", "template": "risk_alert",
                "idempotency_key": "from-viewer"}  # fmt: skip
        assert v.post("/api/v1/outbox/messages", json=body).status_code == 403
    with httpx.Client(base_url=server.url, headers={"Authorization": f"Bearer {dana}"}) as c:
        listed = c.get("/api/v1/outbox/messages").json()
        assert listed["total"] > 0 and {m["account_id"] for m in listed["items"]} == {"A-001"}
        assert c.get(f"/api/v1/outbox/messages/{theirs}").status_code == 404
        assert c.post(f"/api/v1/outbox/messages/{theirs}/retry").status_code == 404
        assert c.post("/api/v1/outbox/send-test", json={}).status_code == 403  # a manager's
