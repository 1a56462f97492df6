"""``/api/v1/clv``: scored accounts over HTTP, a CSM's book only."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from outsidein.clv.portfolio import score
from outsidein.clv.saved import save
from outsidein.settings.analytics import AnalyticsConfig
from outsidein.store import connect
from outsidein.web import create_app
from tests.clv import company
from tests.web.conftest import TODAY, LiveServer


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    db = tmp_path_factory.mktemp("clv") / "s.duckdb"
    con = connect(db)
    company.build(con)
    con.execute("UPDATE accounts SET csm_id = 'csm1' WHERE account_id IN ('T0001', 'S0001')")
    save(con, score(con, AnalyticsConfig(), company.AS_OF))
    con.close()
    live = LiveServer(create_app(db))
    live.start()
    live.settle()  # the pipeline's clv step rescores as of today (a new day since AS_OF)
    yield live
    live.stop()


def test_list_and_one_account(server: LiveServer) -> None:
    body = server.http.get(f"{server.url}/api/v1/clv/accounts", params={"page_size": 5}).json()
    assert body["as_of"] == TODAY.isoformat()  # the clv step's scoring
    assert body["total"] > 400 and len(body["accounts"]) == 5
    values = [a["clv"] for a in body["accounts"]]
    assert values == sorted(values, reverse=True)
    one = server.http.get(f"{server.url}/api/v1/clv/accounts/T0001").json()
    assert one["family"] == "transactional: BG/NBD + Gamma-Gamma"
    assert 0 <= one["p_alive"] <= 1 and one["p_renew"] is None and one["rfm_segment"]
    missing = server.http.get(f"{server.url}/api/v1/clv/accounts/NOPE")
    assert missing.status_code == 404
    listed: set[str] = set()
    for page in range(1, 6):
        got = server.http.get(
            f"{server.url}/api/v1/clv/accounts", params={"page": page, "page_size": 200}
        )
        listed |= {a["account_id"] for a in got.json()["accounts"]}
    left = next(f"S{i:04d}" for i in range(600) if f"S{i:04d}" not in listed)  # churned
    unscored = server.http.get(f"{server.url}/api/v1/clv/accounts/{left}").json()
    assert unscored == {**unscored, "scored": False, "clv": None, "family": None}


def test_a_csm_sees_their_book(server: LiveServer, tmp_path: Path) -> None:
    _, _, token = server.add_user("dana", "csm", "csm1")
    with httpx.Client(base_url=server.url, headers={"Authorization": f"Bearer {token}"}) as c:
        mine = c.get("/api/v1/clv/accounts").json()
        assert {a["account_id"] for a in mine["accounts"]} <= {"T0001", "S0001"}
        assert "T0001" in {a["account_id"] for a in mine["accounts"]}
        assert c.get("/api/v1/clv/accounts/T0002").status_code == 404


def test_the_account_page_shows_the_value_and_its_family(server: LiveServer) -> None:
    one = server.http.get(f"{server.url}/api/v1/clv/accounts/T0001").json()
    page = server.http.get(f"{server.url}/accounts/T0001", headers={"accept": "text/html"})
    assert page.status_code == 200
    assert 'data-testid="clv"' in page.text
    assert "transactional: BG/NBD + Gamma-Gamma; P(alive)" in page.text
    assert f"{round(one['clv']):,}" in page.text
    left = server.http.get(f"{server.url}/accounts/T0002", headers={"accept": "text/html"})
    assert left.status_code == 200


@pytest.mark.browser
@pytest.mark.parametrize("width", [390, 1440])
def test_the_tile_fits_a_phone_and_a_desktop(
    server: LiveServer, page: Any, width: int, tmp_path: Path
) -> None:
    page.set_viewport_size({"width": width, "height": 900})
    server.login(page)
    page.goto(f"{server.url}/accounts/T0001")
    tile = page.get_by_test_id("clv")
    assert tile.is_visible()
    box = tile.bounding_box()
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= width
    overflow = page.evaluate("document.documentElement.scrollWidth > window.innerWidth")
    assert not overflow
    page.screenshot(path=str(tmp_path / f"account-{width}.png"))
