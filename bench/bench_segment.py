"""Segment ingestion throughput: the real Segment client into `outsidein serve`, vs the write
path alone.

End to end: several processes each run `segment-analytics-python`'s `Client` (two upload
threads each) against a real `python -m outsidein serve` on 127.0.0.1; events/s is counted
from the first `track()` to the last acknowledgement, and every HTTP request the client
makes is timed (p50/p99 acknowledgement latency). Ceiling: the same client-made batches
pushed through the server's write path in-process (parse, check, group commit to the
inbox; no HTTP, no client). Both runs include the applier moving events into `events`, and
both are verified: every event stored exactly once. Also printed: CPU per event of the
clients and of the server, which is what bounds the end-to-end rate on a small machine,
and the CPU per event of the Segment library's own work with no server at all.

    .venv/bin/python bench/bench_segment.py --events 400000 --clients 3
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ProcessPoolExecutor
from datetime import UTC, datetime
from multiprocessing import get_context
from pathlib import Path
from typing import Any

import duckdb
import httpx
import numpy as np
import psutil

from outsidein.ingest.segment import SegmentService, SegmentSettings, create_key
from outsidein.store import connect
from outsidein.store.owner import read_record

ACCOUNTS = 200
USERS = 5_000
PROPERTIES = {"report_id": "r-123", "duration_ms": 532, "plan": "growth", "path": "/reports/1"}
BATCH_BYTES = 475_000  # what the Segment client packs into one request at most


def user(i: int) -> tuple[str, str]:
    """The i-th event's user and that user's account."""
    u = i % USERS
    return f"user-{u}", f"acct-{u % ACCOUNTS}"


def link_users(url: str, key: str) -> None:
    """One group call per user, so that every event has its account at once."""
    calls = [
        {"type": "group", "userId": f"user-{u}", "groupId": f"acct-{u % ACCOUNTS}",
         "traits": {"name": f"Account {u % ACCOUNTS}"}}
        for u in range(USERS)
    ]  # fmt: skip
    for start in range(0, len(calls), 1000):
        response = httpx.post(
            url + "/v1/batch", json={"batch": calls[start : start + 1000]}, auth=(key, "")
        )
        response.raise_for_status()


# -- end to end: client processes ----------------------------------------------------------


def client_process(url: str, key: str, first: int, count: int, start_at: float) -> dict[str, Any]:
    """Send events ``first`` .. ``first + count`` with the real Segment client."""
    import segment.analytics.request as segment_request
    from segment.analytics.client import Client

    latencies: list[float] = []
    post = segment_request._session.post

    def timed_post(*args: Any, **kwargs: Any) -> Any:
        started = time.perf_counter()
        response = post(*args, **kwargs)
        latencies.append(time.perf_counter() - started)
        return response

    segment_request._session.post = timed_post  # type: ignore[method-assign]
    errors: list[str] = []
    client = Client(
        key,
        host=url,
        upload_size=2_500,
        thread=2,
        max_queue_size=200_000,
        on_error=lambda exc, batch: errors.append(str(exc)),
    )
    while time.time() < start_at:
        time.sleep(0.001)
    cpu0 = resource.getrusage(resource.RUSAGE_SELF)
    began = time.time()
    for i in range(first, first + count):
        user_id, account = user(i)
        while not client.track(
            user_id,
            "Report Viewed",
            PROPERTIES,
            context={"groupId": account},
            message_id=f"m-{i}",
        )[0]:
            time.sleep(0.001)  # the client's queue is full: wait, never drop
    client.flush()
    ended = time.time()
    client.join()
    cpu1 = resource.getrusage(resource.RUSAGE_SELF)
    cpu = (cpu1.ru_utime - cpu0.ru_utime) + (cpu1.ru_stime - cpu0.ru_stime)
    return {"began": began, "ended": ended, "latencies": latencies, "errors": errors, "cpu": cpu}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for(
    url: str, predicate: Any, timeout: float = 300, headers: dict[str, str] | None = None
) -> float:
    started = time.perf_counter()
    while True:
        try:
            answer = httpx.get(url, timeout=5, headers=headers)
            if answer.status_code == 200 and predicate(answer.json()):
                return time.perf_counter() - started
        except httpx.TransportError:
            pass
        if time.perf_counter() - started > timeout:
            raise TimeoutError(url)
        time.sleep(0.05)


def end_to_end(workdir: Path, events: int, clients: int) -> dict[str, Any]:
    db = workdir / "e2e.duckdb"
    con = connect(db)
    key = create_key(con, "bench").secret
    con.close()
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    log = open(workdir / "server.log", "wb")  # noqa: SIM115
    server = subprocess.Popen(
        [sys.executable, "-m", "outsidein", "serve", "--db", str(db), "--port", str(port)],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.perf_counter() + 60
        while (record := read_record(db)) is None:  # the server's own token, as `outsidein`
            if time.perf_counter() > deadline:  # beside it sends
                raise TimeoutError("the server wrote no record beside its store")
            time.sleep(0.05)
        auth = {"X-Outsidein-Token": record.token}
        wait_for(url + "/api/v1/status", lambda body: True, timeout=60, headers=auth)
        link_users(url, key)
        wait_for(url + "/api/v1/segment/activity", lambda body: body["inbox"] == 0, headers=auth)
        share = events // clients
        start_at = time.time() + 2.0
        process = psutil.Process(server.pid)
        cpu0 = process.cpu_times()
        with ProcessPoolExecutor(clients, mp_context=get_context("spawn")) as pool:
            futures = [
                pool.submit(client_process, url, key, n * share, share, start_at)
                for n in range(clients)
            ]
            results = [f.result() for f in futures]
        cpu1 = process.cpu_times()
        sent = share * clients
        lag = wait_for(
            url + "/api/v1/status",
            lambda body: body["tables"]["events"] == sent,
            timeout=120,
            headers=auth,
        )
    finally:
        server.send_signal(signal.SIGINT)
        server.wait(timeout=120)
        log.close()
    check = duckdb.connect(str(db), read_only=True)
    stored = check.execute("SELECT count(*), count(DISTINCT message_id) FROM events").fetchall()
    check.close()
    assert stored == [(sent, sent)], stored
    errors = [e for r in results for e in r["errors"]]
    assert not errors, errors[:3]
    began, ended = min(r["began"] for r in results), max(r["ended"] for r in results)
    latencies = np.array([x for r in results for x in r["latencies"]]) * 1000
    return {
        "events": sent,
        "seconds": ended - began,
        "rate": sent / (ended - began),
        "p50": float(np.percentile(latencies, 50)),
        "p99": float(np.percentile(latencies, 99)),
        "requests": len(latencies),
        "client_cpu_us": sum(r["cpu"] for r in results) / sent * 1e6,
        "server_cpu_us": ((cpu1.user - cpu0.user + cpu1.system - cpu0.system) / sent * 1e6),
        "visible_after": lag,
    }


# -- the client library alone ----------------------------------------------------------------


def client_alone(events: int) -> dict[str, Any]:
    """CPU per event of the Segment library's own work, with no HTTP and no server.

    ``track()`` with ``send=False`` (checks, cleaning, one size-check serialization), plus
    the two serializations its upload thread does per event (sizing in ``Consumer.next``,
    the request body in ``request.post``), on one thread without contention. Run in a
    fresh process (spawned), so nothing else in this one weighs on it.
    """
    with ProcessPoolExecutor(1, mp_context=get_context("spawn")) as pool:
        return pool.submit(_client_alone, events).result()


def _client_alone(events: int) -> dict[str, Any]:
    from segment.analytics.client import Client
    from segment.analytics.request import DatetimeSerializer

    maker = Client("bench", send=False)
    cpu0 = time.process_time()
    messages = []
    for i in range(events):
        user_id, account = user(i)
        _, message = maker.track(
            user_id, "Report Viewed", PROPERTIES, context={"groupId": account}, message_id=f"m-{i}"
        )
        messages.append(message)
    for message in messages:
        len(json.dumps(message, cls=DatetimeSerializer).encode())
    for start in range(0, events, 2_500):
        body = {"batch": messages[start : start + 2_500], "sentAt": "2026-01-01T00:00:00"}
        json.dumps(body, cls=DatetimeSerializer).encode()
    cpu = time.process_time() - cpu0
    return {"cpu_us": cpu / events * 1e6}


# -- ceiling: the write path alone ----------------------------------------------------------


def client_bodies(key: str, events: int) -> list[bytes]:
    """The request bodies the Segment client would send for these events (made by it)."""
    from segment.analytics.client import Client

    maker = Client(key, send=False)
    bodies, batch, size = [], [], 0
    for i in range(events):
        user_id, account = user(i)
        _, message = maker.track(
            user_id, "Report Viewed", PROPERTIES, context={"groupId": account}, message_id=f"m-{i}"
        )
        item = json.dumps(message)
        batch.append(item)
        size += len(item)
        if size >= BATCH_BYTES or len(batch) == 2_500:
            bodies.append(_body(batch, key))
            batch, size = [], 0
    if batch:
        bodies.append(_body(batch, key))
    return bodies


def _body(items: list[str], key: str) -> bytes:
    sent_at = datetime.now(UTC).isoformat()
    return ('{"batch": [' + ", ".join(items) + f'], "sentAt": "{sent_at}", '
            f'"writeKey": "{key}"}}').encode()  # fmt: skip


def ceiling(workdir: Path, events: int, in_flight: int = 8) -> dict[str, Any]:
    con = connect(workdir / "ceiling.duckdb")
    secret = create_key(con, "bench").secret
    service = SegmentService(con.cursor, SegmentSettings())
    service.start()
    key = service.authenticate(secret)
    groups = [
        {"type": "group", "userId": f"user-{u}", "groupId": f"acct-{u % ACCOUNTS}"}
        for u in range(USERS)
    ]
    slots = threading.Semaphore(in_flight)
    failures: list[BaseException] = []

    def done(error: BaseException | None) -> None:
        if error is not None:
            failures.append(error)
        slots.release()

    def push(raw: bytes) -> int:
        slots.acquire()
        checked = service.check(None, raw, None, key=key)
        service.submit(checked, done)
        return checked.accepted

    try:
        for start in range(0, len(groups), 1000):
            push(json.dumps({"batch": groups[start : start + 1000]}).encode())
        bodies = client_bodies(secret, events)
        cpu0 = time.process_time()
        started = time.perf_counter()
        accepted = sum(push(raw) for raw in bodies)
        for _ in range(in_flight):
            slots.acquire()
        seconds = time.perf_counter() - started
        cpu = time.process_time() - cpu0
        while service.backlog.count:
            time.sleep(0.02)
        lag = time.perf_counter() - started - seconds
    finally:
        service.close()
    stored = con.execute("SELECT count(*), count(DISTINCT message_id) FROM events").fetchall()
    con.close()
    assert not failures and accepted == events and stored == [(events, events)], stored
    return {
        "rate": events / seconds,
        "seconds": seconds,
        "server_cpu_us": cpu / events * 1e6,
        "applied_after": lag,
        "requests": len(bodies),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=400_000)
    parser.add_argument("--clients", type=int, default=3, help="client processes")
    args = parser.parse_args()
    print(f"{os.cpu_count()} CPUs; {args.events:,} track events, {args.clients} client processes")
    with tempfile.TemporaryDirectory(prefix="bench-segment-") as tmp:
        workdir = Path(tmp)
        e2e = end_to_end(workdir, args.events, args.clients)
        top = ceiling(workdir, e2e["events"])
        alone = client_alone(min(args.events, 200_000))
    print(
        f"end to end (Segment client -> HTTP -> durable): {e2e['rate']:,.0f} events/s "
        f"({e2e['events']:,} in {e2e['seconds']:.1f} s, {e2e['requests']:,} requests); "
        f"ack latency p50 {e2e['p50']:.0f} ms, p99 {e2e['p99']:.0f} ms; "
        f"in `events` {e2e['visible_after']:.1f} s after the last ack"
    )
    print(
        f"  CPU per event: clients {e2e['client_cpu_us']:.1f} us, "
        f"server {e2e['server_cpu_us']:.1f} us -> at most "
        f"{2e6 / (e2e['client_cpu_us'] + e2e['server_cpu_us']):,.0f} events/s on 2 cores"
    )
    print(
        f"write path alone (parse, check, group commit; no HTTP): {top['rate']:,.0f} events/s "
        f"({top['requests']:,} batches in {top['seconds']:.1f} s, "
        f"{top['server_cpu_us']:.1f} us CPU per event); applied {top['applied_after']:.1f} s later"
    )
    print(
        f"Segment library alone (no HTTP, no server, one thread): {alone['cpu_us']:.1f} us CPU "
        f"per event -> at most {2e6 / alone['cpu_us']:,.0f} events/s on 2 cores with a server "
        "that costs nothing"
    )
    print(f"ratio end to end / write path: {e2e['rate'] / top['rate']:.2f} (goal >= 0.4)")
    print("goal >= 50,000 events/s end to end: " + ("met" if e2e["rate"] >= 50_000 else "not met"))


if __name__ == "__main__":
    main()
