"""A SIGKILL during delivery loses nothing, and duplicates only what the receiver can drop:
a subprocess (``outsidein outbox deliver``) delivers to a slow HTTP receiver and is killed
while a POST is in flight; a second run delivers the rest."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest

from outsidein.store import connect
from tests.web.conftest import seed_small

from .receivers import HttpReceiver

pytestmark = pytest.mark.slow  # two CLI processes (~15 s each on a busy 2-core machine)

MESSAGES = 12


def deliver(db: Path, url: str, cwd: Path) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "OUTSIDEIN_OUTBOX_WEBHOOK_URL": url,
        "OUTSIDEIN_OUTBOX_WEBHOOK_TIMEOUT": "10",
    }
    return subprocess.Popen(
        [sys.executable, "-m", "outsidein", "outbox", "deliver", "--db", str(db)],
        cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )  # fmt: skip


def test_a_sigkill_mid_delivery_loses_nothing(tmp_path: Path) -> None:
    from outsidein.outbox import enqueue

    db = seed_small(tmp_path / "s.duckdb")
    con = connect(db)
    for i in range(MESSAGES):
        enqueue(
            con, channel="webhook", account_id="A-001", contact_id=None, template="risk_alert",
            context={"n": i}, idempotency_key=f"crash-{i:02d}", source="test",
        )  # fmt: skip
    con.close()
    with HttpReceiver() as hook:
        hook.behaviour.delay = 0.4  # each POST is acknowledged after 0.4 s
        first = deliver(db, hook.url, tmp_path)
        deadline = time.monotonic() + 60
        while len(hook.tries) < 4 and time.monotonic() < deadline:
            time.sleep(0.01)
        time.sleep(0.1)  # the 4th POST is in flight: the receiver has it, the sender no answer
        first.send_signal(signal.SIGKILL)
        first.communicate(timeout=10)
        assert first.returncode == -signal.SIGKILL
        time.sleep(0.5)  # the receiver finishes the POST it was answering
        processed_before = len(hook.received)
        assert 3 <= processed_before < MESSAGES
        hook.behaviour.delay = 0.0
        second = deliver(db, hook.url, tmp_path)
        out, err = second.communicate(timeout=120)
        assert second.returncode == 0, err.decode()
    keys = hook.keys()
    copies = Counter(keys)
    assert set(copies) == {f"crash-{i:02d}" for i in range(MESSAGES)}  # nothing lost
    duplicated = [k for k, n in copies.items() if n > 1]
    assert len(duplicated) <= 1 and all(copies[k] == 2 for k in duplicated)
    for key in duplicated:  # the same message again: the receiver drops it by its key
        bodies = [r.body for r in hook.received if r.headers["idempotency-key"] == key]
        assert bodies[0] == bodies[1]
    con = connect(db)
    try:
        statuses = con.execute(
            "SELECT status, count(*) FROM outbox_messages GROUP BY ALL"
        ).fetchall()
        assert statuses == [("sent", MESSAGES)]
    finally:
        con.close()
    print(f"killed after {processed_before} processed; duplicated: {duplicated}; {out.decode()}")
