"""The web app runs one pipeline: the sections' steps registered in dependency order, and a
server stopping within seconds while a long step runs (real uvicorn on 127.0.0.1)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from pathlib import Path

from fastapi import FastAPI

from outsidein.pipeline import Outcome, Scheduler, Step, StepContext
from outsidein.web import create_app
from tests.web.conftest import LiveServer, seed_small


def test_the_app_registers_every_section_step_in_one_scheduler(
    tmp_path: Path, live_server: Callable[[FastAPI], LiveServer]
) -> None:
    server = live_server(create_app(seed_small(tmp_path / "s.duckdb")))
    pipeline = server.app.state.pipeline
    assert isinstance(pipeline, Scheduler)
    assert pipeline.order[0] == "segment_apply"  # it writes what the other two read
    assert set(pipeline.order) == {
        "segment_apply",
        "last_seen",
        "snapshot",
        "health",
        "tiers",
        "segments",
        "playbooks",
        "outbox",
        "clv",
        "predict",
    }
    assert pipeline.order.index("segment_apply") < pipeline.order.index("tiers")  # accounts
    assert pipeline.order.index("health") < pipeline.order.index("segments")  # its scores
    assert pipeline.order.index("snapshot") < pipeline.order.index("health")  # reads its rows
    assert pipeline.order.index("health") < pipeline.order.index("playbooks")  # reads scores
    assert pipeline.order.index("playbooks") < pipeline.order.index("outbox")  # its touches
    assert pipeline.order.index("clv") < pipeline.order.index("health")  # CLV is an input
    assert pipeline.order.index("health") < pipeline.order.index("predict")  # reads scores
    assert pipeline.order.index("predict") < pipeline.order.index("playbooks")  # churn risk
    assert pipeline.order.index("predict") < pipeline.order.index("segments")  # its fields
    deadline = time.monotonic() + 20
    while True:
        steps = server.http.get(server.url + "/api/v1/status").json()["pipeline"]
        if all(s["runs"] for s in steps):
            break
        assert time.monotonic() < deadline, steps
        time.sleep(0.05)
    assert [s["name"] for s in steps] == list(pipeline.order)
    by_name = {s["name"]: s for s in steps}
    assert by_name["last_seen"]["inputs"] == ["events"]
    assert by_name["segment_apply"]["outputs"] == ["events", "accounts", "contacts"]
    # have events (a later run, while the health step ran, found nothing new)
    assert by_name["last_seen"]["last_detail"] in ("2 accounts", "")
    cur = server.app.state.store.cursor()
    try:
        assert cur.execute("SELECT count(*) FROM account_last_seen").fetchall() == [(2,)]
    finally:
        cur.close()
    names = {t.name for t in threading.enumerate()}
    assert "pipeline" in names
    assert not names & {"segment-applier", "snapshot-refresher", "last-seen"}  # no own threads


def test_the_server_stops_within_seconds_while_a_long_step_runs(
    tmp_path: Path, live_server: Callable[[FastAPI], LiveServer]
) -> None:
    server = live_server(create_app(seed_small(tmp_path / "s.duckdb")))

    def endless(ctx: StepContext) -> Outcome:
        ctx.cursor.execute("SELECT sum(hash(i)) FROM range(1000000000000) t(i)").fetchall()
        return Outcome.wrote()

    pipeline: Scheduler = server.app.state.pipeline
    pipeline.register(Step("endless", endless, inputs=("events",), outputs=("nothing",)))
    pipeline.mark("events")
    deadline = time.monotonic() + 20
    while pipeline.status("endless").state != "running":
        assert time.monotonic() < deadline, pipeline.statuses()
        time.sleep(0.02)
    time.sleep(0.5)
    asked = time.monotonic()
    server.stop()
    took = time.monotonic() - asked
    assert not server.thread.is_alive()
    assert took < 5, f"stopping took {took:.1f} s"
    assert pipeline.status("endless").last_detail == "cancelled at shutdown"
