"""The outcome survey through the real server: the public form filled in and submitted in
headless Chromium at phone width (answers saved as given, kept on reload, in the store and
in the opportunity scores), a wrong or expired link refused with a plain 404 page, bounded
bodies, the survey and catalog API with its roles, the catalog page (docs/jobs.md#surveys)."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from datetime import datetime
from typing import Any

import httpx
import pytest

from outsidein.jobs.catalog import import_yaml
from outsidein.jobs.scoring import MIN_RESPONDENTS
from outsidein.store import connect
from outsidein.web import create_app

from .conftest import LiveServer

PHONE = {"width": 390, "height": 844}
CATALOG = """
jobs:
  - id: J1
    name: Renew a contract
    steps:
      - id: J1-S1
        name: Confirm
        outcomes:
          - {id: O1, statement: Minimize the time it takes to confirm that a quote is correct}
          - {id: O2, statement: Minimize the likelihood of missing a renewal date}
"""
CONTACTS = MIN_RESPONDENTS  # one more than the CSV's respondents: the form's makes the minimum


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    path = tmp_path_factory.mktemp("surveys") / "s.duckdb"
    con = connect(path)
    now = datetime(2026, 11, 1)
    con.executemany(
        "INSERT INTO accounts (account_id, name, segment, csm_id, created_at, source, loaded_at) "
        "VALUES (?, ?, 'SMB', 'csm1', ?, 't', ?)",
        [(f"A{i}", f"Account {i}", now, now) for i in range(5)],
    )
    con.executemany(
        "INSERT INTO contacts (contact_id, account_id, name, email, source, loaded_at) "
        "VALUES (?, ?, ?, ?, 't', ?)",
        [(f"C{i:02d}", f"A{i % 5}", f"P {i}", f"p{i}@x.test", now) for i in range(CONTACTS)],
    )
    import_yaml(con, CATALOG)
    con.close()
    live = LiveServer(create_app(path)).start()
    yield live
    live.stop()


def _opportunity(server: LiveServer, outcome: str) -> dict[str, Any]:
    found = server.http.get(f"{server.url}/api/v1/jobs/opportunities", params={"survey": "w1"})
    assert found.status_code == 200, found.text
    return next(s for s in found.json()["scores"] if s["outcome_id"] == outcome)


@pytest.fixture(scope="module")
def links(server: LiveServer) -> dict[str, str]:
    """Survey w1 over O1 and O2, everyone invited; all but C00 answered by CSV."""
    made = server.http.post(
        f"{server.url}/api/v1/jobs/outcome-surveys",
        json={"survey_id": "w1", "title": "Renewals", "seed": 4},
    )
    assert made.status_code == 201, made.text
    order = made.json()["outcome_ids"]
    invited = server.http.post(
        f"{server.url}/api/v1/jobs/outcome-surveys/w1/invitations", json={"days": 30}
    )
    assert invited.status_code == 200 and invited.json()["issued"] == CONTACTS
    template = server.http.get(f"{server.url}/api/v1/jobs/outcome-surveys/w1/template")
    assert template.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(template.text)))
    assert list(rows[0])[4:] == [f"{k}:{o}" for o in order for k in ("importance", "satisfaction")]
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(rows[0]), lineterminator="\n")
    writer.writeheader()
    for row in rows:
        if row["contact_id"] != "C00":
            writer.writerow(
                row
                | {
                    f"{k}:{o}": "5" if k == "importance" else "2"
                    for o in order
                    for k in ("importance", "satisfaction")
                }
            )
    imported = server.http.post(
        f"{server.url}/api/v1/jobs/outcome-surveys/w1/responses",
        content=out.getvalue(),
        headers={"content-type": "text/csv"},
    )
    assert imported.status_code == 200 and imported.json()["answers"] == 2 * (CONTACTS - 1)
    return {x["contact_id"]: x["link"].split("/s/")[1] for x in invited.json()["links"]}


@pytest.mark.slow
@pytest.mark.browser
def test_the_form_is_filled_in_on_a_phone_and_lands_in_the_scores(
    server: LiveServer, links: dict[str, str], page: Any
) -> None:
    from playwright.sync_api import expect

    before = _opportunity(server, "O1")
    assert before["respondents"] == CONTACTS - 1 and before["opportunity"] is None  # too few
    problems: list[str] = []
    page.on("console", lambda m: m.type in ("error", "warning") and problems.append(m.text))
    page.set_viewport_size(PHONE)
    url = f"{server.url}/s/{links['C00']}"
    assert page.goto(url).status == 200  # no sign-in
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    saved = page.get_by_test_id("survey-saved")
    for n in (1, 2):
        for label, value in (("Importance", 5), ("Satisfaction", 1)):
            choice = page.get_by_label(f"{label} {value} for outcome {n}", exact=True)
            choice.check()
            expect(saved).to_have_attribute("data-saved", "true")
            box = choice.bounding_box()
            assert box is not None and box["x"] + box["width"] <= PHONE["width"]
    page.reload()  # saved as they went: the page shows them again
    expect(page.get_by_label("Satisfaction 1 for outcome 2", exact=True)).to_be_checked()
    page.get_by_role("button", name="Send my answers").click()
    expect(page.get_by_test_id("survey-done")).to_be_visible()
    # Again, with one answer changed: it updates, it does not add a respondent.
    page.goto(url)
    expect(page.get_by_test_id("survey-submitted")).to_be_visible()
    page.get_by_label("Importance 4 for outcome 1", exact=True).check()
    page.get_by_role("button", name="Send my answers").click()
    expect(page.get_by_test_id("survey-done")).to_be_visible()
    assert problems == []
    con = server.app.state.store.cursor()
    try:
        rows = con.execute(
            "SELECT outcome_id, importance, satisfaction FROM survey_responses "
            "WHERE contact_id = 'C00' ORDER BY 1"
        ).fetchall()
        done = con.execute(
            "SELECT submitted_at IS NOT NULL FROM survey_invitations WHERE contact_id = 'C00'"
        ).fetchall()
    finally:
        con.close()
    order = server.http.get(f"{server.url}/api/v1/jobs/outcome-surveys/w1").json()["outcome_ids"]
    assert dict((r[0], r[1:]) for r in rows) == {order[0]: (4, 1), order[1]: (5, 1)}
    assert done == [(True,)]
    after = _opportunity(server, "O1")
    assert after["respondents"] == CONTACTS and after["opportunity"] is not None
    # 30 of 30 rate importance 4-5; 0 of 30 satisfaction 4-5: 10 + max(10 - 0, 0) = 20.
    assert after["importance"] == pytest.approx(10.0) and after["opportunity"] == pytest.approx(20)


def test_a_wrong_or_expired_link_gets_a_plain_404(
    server: LiveServer, links: dict[str, str]
) -> None:
    with httpx.Client(base_url=server.url, timeout=30) as anonymous:
        for token in ("wrong", links["C01"][:-2] + "zz", "x" * 3000):
            page = anonymous.get(f"/s/{token}")
            assert page.status_code == 404 and "not valid or has expired" in page.text
            assert "Traceback" not in page.text and "Renewals" not in page.text
            posted = anonymous.post(
                f"/s/{token}/answer", data={"outcome": "O1", "field": "importance", "value": "3"}
            )
            assert posted.status_code == 404
            assert anonymous.post(f"/s/{token}", data={"importance:O1": "3"}).status_code == 404
        ok = anonymous.get(f"/s/{links['C02']}")
        assert ok.status_code == 200 and "Renewals" in ok.text
        assert ok.headers["cache-control"] == "no-store"
        bad = anonymous.post(
            f"/s/{links['C02']}/answer", data={"outcome": "O1", "field": "importance", "value": "9"}
        )
        assert bad.status_code == 422 and "give 1 to 5" in bad.text
        big = anonymous.post(
            f"/s/{links['C02']}",
            content=b"importance%3AO1=3&" * 5000,
            headers={"content-type": "application/x-www-form-urlencoded"},
        )
        assert big.status_code == 413
        # Signing in is still needed everywhere else: the survey API, the catalog page.
        assert anonymous.get("/api/v1/jobs/outcome-surveys").status_code == 401
        assert anonymous.get("/outcomes/catalog").status_code == 401
    con = server.app.state.store.cursor()
    try:
        con.execute(
            "UPDATE survey_invitations SET expires_at = TIMESTAMP '2020-01-01' "
            "WHERE contact_id = 'C03'"
        )
    finally:
        con.close()
    assert httpx.get(f"{server.url}/s/{links['C03']}").status_code == 404


def test_the_catalog_is_edited_through_the_api_with_the_linters_verdicts(
    server: LiveServer, links: dict[str, str]
) -> None:
    api = f"{server.url}/api/v1/jobs/catalog"
    assert (
        server.http.put(f"{api}/jobs/J2", json={"name": "Report", "parent": "J1"}).status_code
        == 200
    )
    assert (
        server.http.put(f"{api}/steps/J2-S1", json={"job_id": "J2", "name": "Prepare"}).status_code
        == 200
    )
    bad = server.http.put(
        f"{api}/outcomes/O9",
        json={
            "job_id": "J2",
            "step_id": "J2-S1",
            "statement": "Use the dashboard to export reports",
        },
    )
    assert bad.status_code == 200, bad.text
    assert {w["rule"] for w in bad.json()["warnings"]} >= {"no_direction", "names_solution"}
    good = server.http.put(
        f"{api}/outcomes/O9",
        json={
            "job_id": "J2",
            "step_id": "J2-S1",
            "statement": "Minimize the time it takes to prepare a report",
        },
    )
    assert good.json()["warnings"] == [] and good.json()["parts"]["direction"] == "Minimize"
    catalog = server.http.get(f"{api}").json()["jobs"]
    assert [
        o["id"] for j in catalog if j["id"] == "J2" for s in j["steps"] for o in s["outcomes"]
    ] == ["O9"]
    refused = server.http.delete(f"{api}/jobs/J2")
    assert refused.status_code == 422 and "remove them first" in refused.text
    for path in ("outcomes/O9", "steps/J2-S1", "jobs/J2"):
        assert server.http.delete(f"{api}/{path}").status_code == 204
    assert server.http.delete(f"{api}/jobs/J2").status_code == 404
    _, _, viewer = server.add_user("vera", "viewer")
    _, _, csm = server.add_user("carl", "csm", "csm1")
    answer = {"outcome": "O1", "field": "importance", "value": "3"}
    read_only = {"Authorization": f"Bearer {viewer}"}  # the form acts for the link's contact
    link = server.http.post(
        f"{server.url}/api/v1/jobs/outcome-surveys/w1/invitations",
        json={"contact_ids": ["C04"], "reissue": True},
    ).json()["links"][0]
    path = link["link"].split("/s/")[1]
    assert (
        httpx.post(f"{server.url}/s/{path}/answer", data=answer, headers=read_only).status_code
        == 200
    )
    for token in (viewer, csm):
        auth = {"Authorization": f"Bearer {token}"}
        assert httpx.put(f"{api}/jobs/J3", json={"name": "x"}, headers=auth).status_code == 403
        assert (
            httpx.post(
                f"{server.url}/api/v1/jobs/outcome-surveys", json={"survey_id": "w3"}, headers=auth
            ).status_code
            == 403
        )
        assert (
            httpx.get(f"{server.url}/api/v1/jobs/outcome-surveys", headers=auth).status_code == 200
        )


@pytest.mark.slow
@pytest.mark.browser
def test_the_catalog_page_edits_and_shows_warnings(
    server: LiveServer, links: dict[str, str], page: Any
) -> None:
    from playwright.sync_api import expect

    page.set_viewport_size(PHONE)
    server.login(page)
    page.goto(f"{server.url}/outcomes")
    page.get_by_role("link", name="Jobs catalog and outcome surveys →").click()
    page.get_by_label("Outcome id").fill("O8")
    page.get_by_label("Statement").fill("Quickly export the renewal report and email it")
    page.get_by_role("button", name="Save outcome").click()
    expect(page.get_by_test_id("catalog-saved")).to_contain_text("outcome O8 saved")
    expect(page.get_by_test_id("catalog-outcome").filter(has_text="O8")).to_contain_text(
        "direction"
    )
    expect(page.get_by_test_id("survey-table")).to_contain_text("w1")
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    page.get_by_role("button", name="Remove outcome O8").click()
    expect(page.get_by_test_id("catalog-saved")).to_contain_text("outcome O8 removed")
    page.get_by_label("Job id").fill("J1")
    page.get_by_label("Job name").fill("Renew a contract")
    page.get_by_label("Main job").select_option("J1")
    page.get_by_role("button", name="Save job").click()
    expect(page.get_by_test_id("catalog-problem")).to_contain_text("its own main job")
