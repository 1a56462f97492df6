"""Real stores in tmp dirs and a real uvicorn server on a free port for the web tests."""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from fastapi import FastAPI

from outsidein.store import connect
from outsidein.store.tables import TABLES
from outsidein.web import create_app
from outsidein.web.server import listen, uvicorn_config

NOW = datetime.now(UTC).replace(tzinfo=None, microsecond=0)
TODAY = NOW.date()
SRC = "test"


def days(n: int) -> date:
    """Today plus ``n`` days."""
    return TODAY + timedelta(days=n)


def ago(n: float) -> datetime:
    """``n`` days before now."""
    return NOW - timedelta(days=n)


def insert(con: Any, table: str, rows: list[tuple[Any, ...]]) -> None:
    """Plain INSERTs of the table's first canonical columns; source and loaded_at are added."""
    if rows:
        columns = [*TABLES[table].column_names[: len(rows[0])], "source", "loaded_at"]
        names = ", ".join(f'"{c}"' for c in columns)
        marks = ", ".join("?" * len(columns))
        con.executemany(
            f"INSERT INTO {table} ({names}) VALUES ({marks})",
            [(*r, SRC, NOW) for r in rows],
        )


def seed_small(path: Path) -> Path:
    """Five accounts with known figures; the API tests assert on these exact values."""
    con = connect(path)
    # fmt: off
    insert(con, "csms", [("csm1", "Dana Scully", None, 40), ("csm2", "Fox Mulder", None, 30)])
    insert(
        con,
        "accounts",
        [
            ("A-001", "Acme Corp", None, "Manufacturing", "Enterprise", "EMEA", 5000, "csm1",
             datetime(2022, 1, 10)),
            ("A-002", "Globex", None, "Energy", "Mid-Market", "NA", 800, "csm2",
             datetime(2022, 6, 1)),
            ("A-003", "Initech", None, "Software", "SMB", "NA", 60, "csm1", datetime(2023, 2, 1)),
            ("A-004", "Umbrella <script>alert(1)</script>", None, "Pharma", "SMB", "APAC", None,
             None, datetime(2023, 5, 5)),
            ("A-005", "Hooli", "A-003", "Software", "Enterprise", "NA", 9000, "csm2",
             datetime(2021, 3, 3)),
        ],
    )
    insert(
        con,
        "contacts",
        [
            ("C-1", "A-001", "Ada Lovelace", "ada@acme.test", "champion", "VP Ops", ago(300)),
            ("C-2", "A-001", "Bob Byte", "bob@acme.test", "user", None, ago(200)),
        ],
    )
    insert(
        con,
        "subscriptions",
        [
            ("S-1", "A-001", "Enterprise Annual", 5000, "USD", 200, days(-400), None, "active"),
            ("S-2", "A-001", "Analytics Add-on", 750.5, "USD", None, days(-100), days(265),
             "active"),
            ("S-3", "A-001", "Starter", 100, "USD", 5, days(-800), days(-400), "ended"),
            ("S-4", "A-002", "Growth", 1200, "USD", 40, days(-30), None, "active"),
            ("S-5", "A-003", "Starter", 99, "USD", 3, days(10), None, "trialing"),
            ("S-6", "A-005", "Enterprise", 9000, "USD", 500, days(-700), TODAY, "churned"),
            ("S-7", "A-004", "Growth", 300, "USD", 10, days(-50), None, "active"),
        ],
    )
    insert(
        con,
        "invoices",
        [
            ("I-1", "A-001", "S-1", 5000, "USD", ago(40), ago(10), ago(12)),
            ("I-2", "A-001", "S-1", 5000, "USD", ago(10), ago(-20), None),
        ],
    )
    events = [(f"m{i}", "A-001", f"u{i % 2}", "report.viewed", ago(i + 1), None) for i in range(5)]
    events += [
        ("m10", "A-001", "u3", "login", ago(60), None),
        ("m11", "A-002", "u9", "login", ago(45), '{"plan": "growth"}'),
    ]
    insert(con, "events", events)
    insert(
        con,
        "touchpoints",
        [
            ("T-1", "A-001", "C-1", ago(20), "call", "success", "Service", "success", None, "QBR"),
            ("T-2", "A-001", None, ago(5), "email", "support", "Service", "failed", "product",
             None),
            # today: the data's last day is today, so figures default to today
            ("T-3", "A-002", None, NOW, "email", "success", "Service", "neutral", None, None),
        ],
    )
    insert(
        con,
        "cases",
        [
            ("K-1", "A-001", "C-2", ago(3), None, "high", 24.0, "open", "support", "Export fails"),
            ("K-2", "A-001", None, ago(9), None, "normal", 48.0, "pending", "support,product",
             "SSO question"),
            ("K-3", "A-001", None, ago(90), ago(88), "low", 72.0, "closed", "support", "Invoice"),
            ("K-4", "A-002", None, ago(30), ago(29), "normal", 48.0, "solved", "billing", None),
            ("K-5", "A-004", None, ago(2), None, "urgent", 4.0, "open", "support", "Down"),
        ],
    )
    insert(
        con,
        "survey_responses",
        [
            ("R-1", "A-001", "C-1", "Q2 NPS", ago(15), "nps", 9.0, None, None, None, "Great"),
            ("R-2", "A-001", "C-2", "Onboarding", ago(100), "csat", 4.0, None, None, None, None),
        ],
    )
    # fmt: on
    con.close()
    return path


PREFIXES = (
    "Acme", "Globex", "Initech", "Umbrella", "Hooli", "Stark", "Wayne", "Wonka", "Soylent",
    "Cyberdyne", "Tyrell", "Aperture", "Vandelay", "Pied Piper", "Zenith",
)  # fmt: skip
SUFFIXES = ("Labs", "Systems", "Corp", "Group", "Health", "Retail", "Logistics", "Energy")
INDUSTRIES = ("Software", "Retail", "Healthcare", "Financial Services", "Manufacturing")
SEGMENTS = ("Enterprise", "Mid-Market", "SMB")
REGIONS = ("NA", "EMEA", "APAC", "LATAM")
PLANS = (("Starter", 99), ("Growth", 1_200), ("Business", 3_500), ("Enterprise", 9_000))


def seed_company(path: Path) -> Path:
    """120 accounts (15 name prefixes x 8 suffixes) with plausible, seeded figures.

    Known for the browser test: "Acme Labs" (A-0001) has the plan "Enterprise Plus";
    "Zenith Energy" (A-0120) has the highest MRR.
    """
    rng = random.Random(7)
    con = connect(path)
    csms = [("csm1", "Dana Scully"), ("csm2", "Fox Mulder"), ("csm3", "Walter Skinner")]
    insert(con, "csms", [(c, n, None, 40) for c, n in csms])
    accounts, subs, events, cases = [], [], [], []
    names = [f"{p} {s}" for p in PREFIXES for s in SUFFIXES]
    for i, name in enumerate(names, start=1):
        aid = f"A-{i:04d}"
        accounts.append(
            (aid, name, None, rng.choice(INDUSTRIES), rng.choice(SEGMENTS), rng.choice(REGIONS),
             rng.randint(20, 20_000), csms[i % 3][0], ago(rng.randint(200, 1500)))
        )  # fmt: skip
        plan, mrr = rng.choice(PLANS)
        if aid == "A-0001":
            plan, mrr = "Enterprise Plus", 15_000
        if aid == "A-0120":
            mrr = 50_000
        seats = 10 + i % 25  # not drawn from rng: the other figures stay as they were
        subs.append((f"S-{i}", aid, plan, mrr, "USD", seats, days(-rng.randint(30, 900)), None,
                     "active"))  # fmt: skip
        for j in range(rng.randint(0, 6)):
            events.append((f"e{i}-{j}", aid, f"u{j % 3}", "login", ago(rng.uniform(0, 90)), None))
        if rng.random() < 0.3:
            cases.append((f"K-{i}", aid, None, ago(rng.randint(1, 20)), None, "normal", 48.0,
                          "open", "support", "Question"))  # fmt: skip
    insert(con, "accounts", accounts)
    insert(con, "subscriptions", subs)
    insert(con, "events", events)
    insert(con, "cases", cases)
    con.close()
    return path


def browser_login(page: Any, url: str, username: str, password: str) -> None:
    """Sign a Playwright page in through the login form, as a person does."""
    page.goto(url + "/login")
    page.get_by_label("User name").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(lambda at: "/login" not in at)


def record_auth(db: Path) -> dict[str, str]:
    """What `outsidein` sends to the server it finds beside ``db`` (its record's token):
    how tests sign in to a server run as a process."""
    from outsidein.store.owner import read_record

    record = read_record(db)
    assert record is not None, f"no server record beside {db}"
    return {"X-Outsidein-Token": record.token}


class LiveServer:
    """uvicorn serving ``app`` in a thread on a socket bound to a free port on 127.0.0.1."""

    def __init__(self, app: FastAPI) -> None:
        self.app = app
        self.sock = listen("127.0.0.1", 0)  # the product's own socket (TCP_NODELAY)
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}"
        config = uvicorn_config(app, log_level="warning", lifespan="on")
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(
            target=self.server.run, kwargs={"sockets": [self.sock]}, daemon=True
        )

    def start(self) -> LiveServer:
        """Serve, then sign in: an admin with an admin token (:attr:`auth`) for the tests."""
        self.thread.start()
        deadline = time.monotonic() + 30
        while not self.server.started:
            if not self.thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the test server did not start")
            time.sleep(0.02)
        if not hasattr(self.app.state, "store"):  # a bare app of a test: no store, no users
            self.auth = {}
            self.http = httpx.Client(timeout=30)
            return self
        self.username, self.password, token = self.add_user("admin", "admin")
        self.auth = {"Authorization": f"Bearer {token}"}
        self.http = httpx.Client(headers=self.auth, timeout=30)
        return self

    def add_user(self, name: str, role: str, csm_id: str | None = None) -> tuple[str, str, str]:
        """A user of ``role`` made in the server's store: (name, password, token secret).

        The token's scope is the widest the role needs (read for a viewer)."""
        from outsidein.auth import Role
        from outsidein.auth.errors import UserExistsError
        from outsidein.auth.tokens import create_token
        from outsidein.auth.users import create_user, reset_password, set_role

        password = f"pw-{name}-0123456789"
        cur = self.app.state.store.cursor()
        try:
            try:
                create_user(cur, name, Role.parse(role), password, csm_id)
            except UserExistsError:  # a second server on the same store
                set_role(cur, name, Role.parse(role), csm_id)
                reset_password(cur, name, password)
            scope = {"admin": "admin", "viewer": "read"}.get(role, "write")
            _, secret = create_token(cur, name, "tests", scope)
        finally:
            cur.close()
        return name, password, secret

    def client(self, path: str = "", **options: Any) -> httpx.Client:
        """An httpx client signed in as the admin (its token), based at ``url + path``."""
        headers = {**self.auth, **options.pop("headers", {})}
        options.setdefault("timeout", 30)
        return httpx.Client(base_url=self.url + path, headers=headers, **options)

    def login(self, page: Any, username: str | None = None, password: str | None = None) -> None:
        """Sign a Playwright page in through the login form (the admin by default)."""
        browser_login(page, self.url, username or self.username, password or self.password)

    def settle(self, timeout: float = 300) -> None:
        """Wait until every background step has run and none runs or waits to run: a test
        that compares a page with a function it computes afterwards then reads the same data
        (under load, a page could otherwise be drawn before the snapshot step caught up)."""
        pipeline = getattr(self.app.state, "pipeline", None)
        deadline = time.monotonic() + timeout
        while pipeline is not None:
            steps = pipeline.statuses()
            if all(s.state == "failing" or (s.state == "idle" and s.runs > 0) for s in steps):
                return
            assert time.monotonic() < deadline, [(s.name, s.state, s.runs) for s in steps]
            time.sleep(0.2)

    def stop(self) -> None:
        if hasattr(self, "http"):
            self.http.close()
        self.server.should_exit = True
        self.thread.join(timeout=30)
        self.sock.close()


@pytest.fixture
def live_server() -> Iterator[Callable[[FastAPI], LiveServer]]:
    """Start servers for apps; every one started is stopped at teardown."""
    started: list[LiveServer] = []

    def start(app: FastAPI) -> LiveServer:
        server = LiveServer(app).start()
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()


@pytest.fixture(scope="module")
def small_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return seed_small(tmp_path_factory.mktemp("small") / "s.duckdb")


@pytest.fixture(scope="module")
def small_app(small_store: Path) -> FastAPI:
    """The app over the small store, plus two routes that fail on purpose for error tests."""
    from outsidein.errors import StoreLockedError

    app = create_app(small_store)

    def boom() -> None:
        raise RuntimeError("secret internals /etc/passwd")

    def locked() -> None:
        raise StoreLockedError("store is in use by process 42", path="/x/s.duckdb")

    app.add_api_route("/api/v1/test-boom", boom)
    app.add_api_route("/api/v1/test-locked", locked)
    return app


@pytest.fixture(scope="module")
def small_server(small_app: FastAPI) -> Iterator[LiveServer]:
    server = LiveServer(small_app).start()
    yield server
    server.stop()
