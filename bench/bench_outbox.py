"""The outbox's own costs: enqueue (render with the account's fields) and delivery to a local
HTTP receiver that acknowledges at once, per message.

A store of 1,000 accounts with a contract each; ``--messages`` webhooks are enqueued (each
renders ``risk_alert`` over the account's name, CSM, health and next renewal), then
delivered in batches as the pipeline step does.

    .venv/bin/python bench/bench_outbox.py --messages 500
"""

from __future__ import annotations

import argparse
import tempfile
import threading
import time
from datetime import date
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from outsidein.config import OutsideInConfig
from outsidein.outbox import deliver_due, enqueue
from outsidein.settings.outbox import OutboxSettings
from outsidein.store import connect


class Ack(BaseHTTPRequestHandler):
    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("content-length", 0)))
        self.send_response(200)
        self.send_header("content-length", "0")
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--messages", type=int, default=500)
    parser.add_argument("--accounts", type=int, default=1000)
    args = parser.parse_args()
    receiver = ThreadingHTTPServer(("127.0.0.1", 0), Ack)
    threading.Thread(target=receiver.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{receiver.server_address[1]}/hook"
    with tempfile.TemporaryDirectory() as folder:
        con = connect(Path(folder) / "bench.duckdb")
        n = args.accounts
        con.execute(
            "INSERT INTO csms (csm_id, name, source, loaded_at) VALUES ('c1', 'Dana', 'b', now())"
        )
        con.execute(
            "INSERT INTO accounts (account_id, name, csm_id, created_at, source, loaded_at) "
            f"SELECT 'A-' || i, 'Account ' || i, 'c1', now(), 'b', now() FROM range({n}) t(i)"
        )
        con.execute(
            "INSERT INTO subscriptions (subscription_id, account_id, plan, mrr, currency, "
            "start_date, status, source, loaded_at) SELECT 'S-' || i, 'A-' || i, 'Growth', 100, "
            f"'USD', DATE '{date.today().replace(day=1)}' - INTERVAL 200 DAY, 'active', 'b', "
            f"now() FROM range({n}) t(i)"
        )
        config = OutsideInConfig()
        started = time.perf_counter()
        for i in range(args.messages):
            enqueue(
                con, channel="webhook", account_id=f"A-{i % n}", contact_id=None,
                template="risk_alert", context={"i": i}, idempotency_key=f"bench-{i}",
                source="bench", config=config,
            )  # fmt: skip
        enqueued = time.perf_counter() - started
        started = time.perf_counter()
        sent = 0
        while True:
            run = deliver_due(con, config.outbox, OutboxSettings(webhook_url=url))
            sent += run.sent
            if not run.more:
                break
        delivered = time.perf_counter() - started
        con.close()
    receiver.shutdown()
    print(
        f"enqueue: {args.messages} messages in {enqueued:.1f} s "
        f"({enqueued / args.messages * 1000:.0f} ms each)"
    )
    print(
        f"delivery: {sent} webhooks acknowledged in {delivered:.1f} s "
        f"({sent / delivered:.0f} per second)"
    )


if __name__ == "__main__":
    main()
