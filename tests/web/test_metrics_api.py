"""``/api/v1/metrics/...`` through a real server over the hand-checked company's store."""

from __future__ import annotations

import inspect
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from outsidein.store import connect
from outsidein.web import create_app
from outsidein.web.queries import metrics as queries
from tests.analytics.company import load_company

from .conftest import LiveServer
from .jobs import finished

TOML = """
[analytics]
currency_rates = { EUR = 1.10, GBP = 1.25 }
key_features = ["report.created", "dashboard.shared", "export.run", "alert.set"]
value_event = "report.created"
"""
SCOPE = {"from": "2024-01-01", "as_of": "2024-06-15"}


def company_store(folder: Path) -> Path:
    path = folder / "outsidein.duckdb"
    con = connect(path)
    load_company(con, folder / "files")
    con.close()
    (folder / "outsidein.toml").write_text(TOML, encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[httpx.Client]:
    folder = tmp_path_factory.mktemp("metrics")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("OUTSIDEIN_CONFIG", str(folder / "outsidein.toml"))
        server = LiveServer(create_app(company_store(folder))).start()
        try:
            with server.client("/api/v1/metrics", timeout=60) as client:
                yield client
        finally:
            server.stop()


def test_bridge_as_json(api: httpx.Client) -> None:
    body = api.get("/bridge", params=SCOPE).json()
    assert (body["report"], body["currency"], body["first"], body["as_of"]) == (
        "bridge", "USD", "2024-01-01", "2024-06-15")  # fmt: skip
    feb = body["rows"][1]
    assert feb["period_start"] == "2024-02-01"
    assert (feb["opening_mrr"], feb["expansion"], feb["churned"], feb["closing_mrr"]) == (
        "1945.67", "50.00", "55.17", "1940.50")  # fmt: skip
    weekly = api.get("/bridge", params={**SCOPE, "grain": "week", "segment": "Enterprise"})
    assert weekly.status_code == 200 and len(weekly.json()["rows"]) == 24


def test_other_reports(api: httpx.Client) -> None:
    mrr = api.get("/mrr", params=SCOPE).json()["rows"]
    assert (mrr[-1]["mrr"], mrr[-1]["arr"], mrr[-1]["customers"]) == ("2205.00", "26460.00", 8)
    retention = api.get("/retention", params={"from": "2024-12-01", "as_of": "2024-12-31"})
    row = retention.json()["rows"][0]
    assert round(row["nrr"], 4) == 0.7219 and round(row["grr"], 4) == 0.6818
    assert "annual_logo_churn_rate" in row
    cohorts = api.get("/cohorts", params={"from": "2023-10-01", "as_of": "2024-06-15"}).json()
    assert len(cohorts["rows"]) == 41
    renewals = api.get("/renewals", params={"as_of": "2024-06-15"}).json()["rows"]
    assert [(r["contract_id"], r["renewal_date"], r["arr"]) for r in renewals] == [
        ("C9", "2024-08-01", "6000.00"), ("C7", "2024-08-06", "3600.00"),
        ("C10", "2024-09-13", "180.00")]  # fmt: skip
    assert (renewals[0]["billing_period"], renewals[0]["auto_renew"]) == ("multi_year", False)
    monthly = api.get("/renewals", params={"as_of": "2024-06-15", "include_monthly": "true"})
    assert [r["contract_id"] for r in monthly.json()["rows"]] == [
        "S2c", "S6b", "S3b", "C9", "C7", "C10"]  # fmt: skip
    usage = api.get("/usage", params={"as_of": "2024-06-15", "account": "A1"}).json()["rows"]
    assert (usage[0]["active_users_7"], usage[0]["breadth_28"]) == (3, 0.75)
    features = api.get("/features", params={"as_of": "2024-06-15", "account": "A1"}).json()
    assert features["rows"][0] == {"account_id": "A1", "feature": "login", "events": 3, "users": 3}


def test_usage_is_paged(api: httpx.Client) -> None:
    everyone = api.get("/usage", params={"as_of": "2024-06-15"}).json()["rows"]
    ids = [r["account_id"] for r in everyone]
    assert len(ids) > 4 and ids == sorted(ids)
    first = api.get("/usage", params={"as_of": "2024-06-15", "limit": 3}).json()["rows"]
    rest = api.get("/usage", params={"as_of": "2024-06-15", "limit": 3, "offset": 3}).json()
    assert [r["account_id"] for r in first + rest["rows"]] == ids[:6]
    assert first == everyone[:3]
    too_many = api.get("/usage", params={"limit": 5001})
    assert too_many.status_code == 400 and "limit" in too_many.text


def test_usage_report_takes_only_the_account() -> None:
    """The API pages the rows it answers with; the report itself has no paging of its own."""
    assert list(inspect.signature(queries.usage).parameters) == ["account"]


def test_snapshot_then_usage_trend(api: httpx.Client) -> None:
    missing = api.get("/usage/trend", params=SCOPE)
    assert missing.status_code == 404
    assert missing.json()["error"]["code"] == "snapshot_missing"
    assert "outsidein metrics snapshot" in missing.json()["error"]["message"]
    root = str(api.base_url).split("/api/")[0]
    job = finished(
        api.post("/snapshot", params={"as_of": "2024-06-15"}), root, headers=dict(api.headers)
    )
    assert (job["kind"], job["status"], job["params"]) == (
        "snapshot",
        "done",
        {"as_of": "2024-06-15"},
    )
    assert (job["result"]["mode"], job["result"]["accounts"]) == ("full", 10)
    again = finished(
        api.post("/snapshot", params={"as_of": "2024-06-15"}), root, headers=dict(api.headers)
    )["result"]
    assert (again["mode"], again["rows"]) == ("incremental", 0)
    trend = api.get("/usage/trend", params={**SCOPE, "segment": "SMB"}).json()["rows"]
    assert trend[-1]["date"] == "2024-06-15" and trend[-1]["active_users_28"] == 4  # A1


@pytest.mark.parametrize(
    ("path", "params", "status", "message"),
    [
        ("/bridge", {"grain": "year"}, 400, "grain"),
        ("/mrr", {"from": "2024-07-01", "as_of": "2024-06-15"}, 422, "must not be after as_of"),
        ("/mrr", {"as_of": "15/06/2024"}, 400, "as_of"),
        ("/mrr", {"from": "0"}, 400, "from: must be a date as YYYY-MM-DD"),  # not 1970-01-01
        ("/renewals", {"days": 0}, 400, "days"),
    ],
)  # fmt: skip
def test_errors_use_the_one_shape(
    api: httpx.Client, path: str, params: dict[str, object], status: int, message: str
) -> None:
    """400: not what the OpenAPI document allows; 422: allowed, but refused by a rule."""
    response = api.get(path, params=params)
    assert response.status_code == status
    error = response.json()["error"]
    assert (error["status"], error["code"]) == (status, "invalid_request")
    assert message in error["message"]


def test_rows_are_paged_and_capped(api: httpx.Client) -> None:
    params = {"as_of": "2024-06-15"}
    whole = api.get("/features", params=params).json()
    assert whole["total_rows"] == len(whole["rows"]) > 4 and whole["next_offset"] is None
    assert whole["limit"] == 5000
    first = api.get("/features", params={**params, "limit": 3}).json()
    assert (first["rows"], first["next_offset"]) == (whole["rows"][:3], 3)
    second = api.get("/features", params={**params, "limit": 3, "offset": 3}).json()
    assert second["rows"] == whole["rows"][3:6] and second["total_rows"] == whole["total_rows"]
    too_many = api.get("/usage", params={**params, "limit": 5001})
    assert too_many.status_code == 400
    assert "limit" in too_many.json()["error"]["message"]
