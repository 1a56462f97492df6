"""The account page and ``GET /api/v1/accounts/{id}`` on the demo company (goal: <= 300 ms).

Builds the demo store as ``outsidein demo --no-serve`` does (2,000 accounts, 24 months, its
daily snapshot: about 1.09M account-days) in a temporary folder, or uses ``--db`` (with
its ``outsidein.toml`` beside it). Serves it with the real app under uvicorn on 127.0.0.1,
signs in with an API token, and times over HTTP, for ``--accounts`` accounts spread over
the id range: the first request (cold: the figures of the data not computed yet) and the
median of ``--repeat`` requests of the account's JSON, its page, its usage history, and
the accounts list page; then one account's year of ``account_daily_metrics`` in plain SQL.

    .venv/bin/python bench/bench_account_page.py
    .venv/bin/python bench/bench_account_page.py --db /tmp/demo/demo.duckdb
"""

from __future__ import annotations

import argparse
import contextlib
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx
import uvicorn

from outsidein.auth import Role
from outsidein.auth.errors import UserExistsError
from outsidein.auth.tokens import create_token
from outsidein.auth.users import create_user
from outsidein.store import connect
from outsidein.web import create_app
from outsidein.web.server import listen

USER = "bench"


def build_demo(folder: Path) -> Path:
    """The demo company's store, made by the demo command itself (no server)."""
    db = folder / "demo.duckdb"
    started = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "outsidein", "demo", "--no-serve",
         "--data", str(folder / "company"), "--db", str(db)],
        check=True, capture_output=True, cwd=folder,
    )  # fmt: skip
    print(f"demo store built in {time.perf_counter() - started:.0f} s: {db}")
    return db


def token_for(db: Path) -> tuple[str, list[str]]:
    """An admin token for the bench, and the account ids to ask for."""
    con = connect(db)
    try:
        with contextlib.suppress(UserExistsError):  # a second run on the same store
            create_user(con, USER, Role.ADMIN, "bench-password-0123456789")
        _, secret = create_token(con, USER, "bench", "admin")
        ids = [
            str(r[0]) for r in con.execute("SELECT account_id FROM accounts ORDER BY 1").fetchall()
        ]
    finally:
        con.close()
    return secret, ids


def timed(client: httpx.Client, path: str, repeat: int) -> tuple[float, float]:
    """The first request's time and the median of the next ``repeat``, in ms."""
    times = []
    for _ in range(repeat + 1):
        started = time.perf_counter()
        response = client.get(path)
        times.append((time.perf_counter() - started) * 1000)
        if response.status_code != 200:
            raise SystemExit(f"{path}: {response.status_code} {response.text[:300]}")
    return times[0], statistics.median(times[1:])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", type=Path, help="an existing store (default: build the demo)")
    parser.add_argument("--accounts", type=int, default=3, help="accounts to ask for")
    parser.add_argument("--repeat", type=int, default=10, help="requests timed per path")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        db = args.db or build_demo(Path(tmp))
        secret, ids = token_for(db)
        app = create_app(db, config_path=db.parent / "outsidein.toml")
        sock = listen("127.0.0.1", 0)  # the product's socket (TCP_NODELAY, as served)
        url = f"http://127.0.0.1:{sock.getsockname()[1]}"
        server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="on"))
        thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
        thread.start()
        while not server.started:
            time.sleep(0.05)
        time.sleep(3)  # let the pipeline's first runs (snapshot, last seen) finish
        step = max(1, len(ids) // args.accounts)
        chosen = ids[step // 2 :: step][: args.accounts]
        headers = {"Authorization": f"Bearer {secret}"}
        print(f"{len(ids):,} accounts; {args.repeat} requests per path after the first")
        print(f"{'path':<46} {'first':>9} {'median':>9}")
        medians: dict[str, list[float]] = {}
        with httpx.Client(base_url=url, headers=headers, timeout=120) as client:
            for account in chosen:
                for kind, path in (
                    ("api", f"/api/v1/accounts/{account}"),
                    ("page", f"/accounts/{account}"),
                    ("usage api", f"/api/v1/accounts/{account}/usage"),
                ):
                    first, median = timed(client, path, args.repeat)
                    medians.setdefault(kind, []).append(median)
                    print(f"{path:<46} {first:>6.0f} ms {median:>6.0f} ms")
            first, median = timed(client, "/accounts", args.repeat)
            print(f"{'/accounts (list page)':<46} {first:>6.0f} ms {median:>6.0f} ms")
        for kind, values in medians.items():
            print(f"median over accounts, {kind:<10} {statistics.median(values):>6.0f} ms")
        server.should_exit = True
        thread.join(timeout=60)
        sock.close()
        lookups(db, chosen, args.repeat)


def lookups(db: Path, accounts: list[str], repeat: int) -> None:
    """One account's year of ``account_daily_metrics`` in plain SQL: the table scan the
    usage chart and summary cost, without the query building around it."""
    con = connect(db, read_only=True)
    try:
        rows = con.execute("SELECT count(*) FROM account_daily_metrics").fetchall()[0][0]
        times = []
        for account in accounts * repeat:
            started = time.perf_counter()
            con.execute(
                "SELECT * FROM account_daily_metrics WHERE account_id = ? "
                "AND date > current_date - 366 ORDER BY date",
                [account],
            ).fetchall()
            times.append((time.perf_counter() - started) * 1000)
    finally:
        con.close()
    print(
        f"a year of one account from account_daily_metrics ({rows:,} rows), plain SQL: "
        f"{statistics.median(times):.1f} ms median"
    )


if __name__ == "__main__":
    main()
