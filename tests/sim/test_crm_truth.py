"""The simulated CRM's churn records and mobile usage counts, loaded, say what the ground
truth (ground_truth/crm.json) says: the disagreement report finds exactly the churns the
CRM missed, dated late or made up, and the usage counts add up."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

from outsidein.analytics import AnalyticsConfig, store_sources
from outsidein.analytics.churn import churn_disagreements, churn_reasons
from outsidein.ingest import load_directory
from outsidein.sim import SimulationSummary
from outsidein.store import connect
from tests.sim.conftest import AS_OF

CONFIG = AnalyticsConfig(currency_rates={"EUR": Decimal("1.10"), "GBP": Decimal("1.25")})


def test_disagreements_and_usage_counts_match_the_ground_truth(
    company: SimulationSummary, tmp_path: Path
) -> None:
    truth = json.loads(company.ground_truth["crm"].read_text(encoding="utf-8"))
    con = connect(tmp_path / "s.duckdb")
    try:
        results = load_directory(con, company.out)
        assert all(r.rows_rejected == 0 for r in results)
        sources = store_sources(con)
        last = con.execute("SELECT max(churned_at) FROM churn_records").fetchall()[0][0]
        as_of = max(last, AS_OF.replace(day=1))
        found = churn_disagreements(sources, CONFIG, as_of).to_pyarrow().to_pylist()
        kinds: dict[str, set[str]] = {}
        for row in found:
            kinds.setdefault(row["kind"], set()).add(row["account_id"])
        reasons = churn_reasons(sources, CONFIG, AS_OF.replace(year=AS_OF.year - 1),
                                as_of).to_pyarrow().to_pylist()  # fmt: skip
        mobile = con.execute(
            "SELECT count(DISTINCT account_id), sum(count) FROM usage_daily"
        ).fetchall()[0]
    finally:
        con.close()
    churn = truth["churn_records"]
    assert kinds.get("crm_only", set()) == set(churn["crm_only"]) != set()
    assert kinds.get("revenue_only", set()) == set(churn["unrecorded"]) != set()
    assert kinds.get("dates_differ", set()) == set(churn["dates_differ"])
    assert sum(r["accounts"] for r in reasons) == len(churn["recorded"]) + len(churn["crm_only"])
    assert {r["reason"] for r in reasons} >= {"Budget cuts"}
    assert mobile == (truth["usage_daily"]["accounts"], truth["usage_daily"]["events"])
