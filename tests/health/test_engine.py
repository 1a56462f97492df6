"""The engine on a nested scorecard, against scores computed by hand in the comments."""

from __future__ import annotations

import copy
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pytest

from outsidein.config import parse_config
from outsidein.errors import InvalidConfigError
from outsidein.health.engine import HealthInputsError, Scores, score
from outsidein.health.explain import explain, what_moved
from outsidein.settings.health import HealthConfig

CARD: dict[str, Any] = {
    "groups": {
        "usage": {
            "weight": 3,
            "measures": {
                "users": {
                    "field": "active_users",
                    "window": 28,
                    "scoring": {"kind": "linear", "low": 0, "high": 20},
                },
            },
            "groups": {
                "depth": {
                    "rollup": "additive",
                    "measures": {
                        "features": {
                            "field": "key_features_used",
                            "window": 28,
                            "weight": 0.5,
                            "scoring": {
                                "kind": "bands",
                                "thresholds": [2, 5],
                                "points": [0, 50, 100],
                            },
                        },
                        "util": {
                            "field": "seat_utilization",
                            "weight": 0.5,
                            "scoring": {"kind": "linear", "low": 0, "high": 1},
                        },
                    },
                }
            },
        },
        "risk": {
            "rollup": "worst",
            "measures": {
                "urgent": {
                    "field": "urgent_cases",
                    "direction": "lower",
                    "scoring": {"kind": "bands", "thresholds": [1], "points": [100, 0]},
                },
                "nps": {"field": "nps", "scoring": {"kind": "linear", "low": 0, "high": 10}},
                "effort": {
                    "label": "effort",
                    "expr": "ces * 2",
                    "direction": "lower",
                    "scoring": {"kind": "linear", "low": 2, "high": 14},
                },
            },
        },
    },
    "measures": {
        "renewal": {
            "field": "days_to_renewal",
            "missing": 50,
            "scoring": {
                "kind": "conditions",
                "base": 100,
                "conditions": [{"when": "value < 30 and open_cases > 0", "points": -60}],
            },
        }
    },
}


def config(**more: Any) -> HealthConfig:
    cards = {
        "enterprise": {
            "measures": {
                "nps": {"field": "nps", "scoring": {"kind": "linear", "low": 0, "high": 10}}
            },
        },
        "main": CARD,
    }
    rules = [{"scorecard": "enterprise", "when": 'tier = "enterprise"'}]
    return HealthConfig.model_validate(
        {"scorecards": cards, "assign": rules, "default_scorecard": "main", **more}
    )


def inputs(**override: list[Any]) -> pa.Table:
    columns: dict[str, list[Any]] = {
        "account_id": ["A", "B", "C", "D"],
        "active_users_28": [10, None, None, 5],
        "key_features_used_28": [5, None, None, 1],
        "seat_utilization": [0.6, None, None, 0.2],
        "urgent_cases": [0, 2, None, 0],
        "nps": [7.0, None, None, 8.0],
        "ces": [3.0, None, None, None],
        "days_to_renewal": [20, None, None, 400],
        "open_cases": [2, 0, None, 0],
        "tier": ["smb", None, "smb", "enterprise"],
    }
    columns.update(override)
    return pa.table(columns)


def by_account(scores: Scores) -> dict[str, dict[str, Any]]:
    return {r["account_id"]: r for r in scores.accounts.to_pylist()}


def contribution(scores: Scores, account: str, measure: str) -> dict[str, Any]:
    rows = scores.contributions.filter(
        pc.and_(
            pc.equal(scores.contributions["account_id"], account),
            pc.equal(scores.contributions["measure"], measure),
        )
    ).to_pylist()
    assert len(rows) == 1
    return rows[0]


def test_nested_groups_by_hand() -> None:
    scores = score(inputs(), config())
    accounts = by_account(scores)
    # A: users 10/20 -> 50; depth (additive) 0.5*100 + 0.5*60 = 80; usage (50+80)/2 = 65.
    # risk (worst): urgent 0 -> 100, nps 7 -> 70, effort 6 on 2..14 lower -> 66.67: 66.67.
    # renewal: 100 - 60 (20 days left, open cases) = 40.
    # card: (3*65 + 1*66.67 + 1*40) / 5 = 60.33.
    assert accounts["A"]["score"] == pytest.approx((3 * 65 + 200 / 3 + 40) / 5)
    assert accounts["A"]["band"] == "amber" and accounts["A"]["scorecard"] == "main"
    users = contribution(scores, "A", "usage/users")
    assert users["weight"] == pytest.approx(3 / 5 * 1 / 2) and users["points"] == 50
    features = contribution(scores, "A", "usage/depth/features")
    assert features["weight"] == pytest.approx(3 / 5 * 1 / 2 * 0.5)
    assert features["contribution"] == pytest.approx(15)
    effort = contribution(scores, "A", "risk/effort")
    assert effort["raw"] == 6 and effort["set_score"] and effort["weight"] == pytest.approx(0.2)
    assert not contribution(scores, "A", "risk/nps")["set_score"]
    assert contribution(scores, "A", "risk/nps")["weight"] == 0
    # B: usage all missing (skipped); risk: urgent 2 -> 0; renewal missing -> stated 50.
    # (1*0 + 1*50) / 2 = 25.
    assert accounts["B"]["score"] == pytest.approx(25) and accounts["B"]["band"] == "red"
    renewal = contribution(scores, "B", "renewal")
    assert renewal["missing"] and renewal["points"] == 50 and renewal["weight"] == 0.5
    assert contribution(scores, "B", "usage/users")["missing"]
    assert contribution(scores, "B", "usage/users")["weight"] == 0
    assert contribution(scores, "B", "risk/urgent")["set_score"]
    # C: no input at all: no score, whatever the stated defaults.
    assert accounts["C"]["score"] is None and accounts["C"]["band"] is None
    # D: the enterprise card by rule: nps 8 -> 80.
    assert accounts["D"]["scorecard"] == "enterprise"
    assert accounts["D"]["score"] == pytest.approx(80) and accounts["D"]["band"] == "green"


def test_contributions_sum_to_the_score() -> None:
    rng = np.random.default_rng(7)
    n = 500

    def maybe(values: np.ndarray) -> list[Any]:
        return [None if m else float(v) for v, m in zip(values, rng.random(n) < 0.2, strict=True)]

    table = inputs(
        account_id=[f"A{i}" for i in range(n)],
        active_users_28=maybe(rng.integers(0, 40, n)),
        key_features_used_28=maybe(rng.integers(0, 8, n)),
        seat_utilization=maybe(rng.random(n)),
        urgent_cases=maybe(rng.integers(0, 3, n)),
        nps=maybe(rng.integers(0, 11, n)),
        ces=maybe(rng.integers(1, 8, n)),
        days_to_renewal=maybe(rng.integers(0, 365, n)),
        open_cases=maybe(rng.integers(0, 4, n)),
        tier=["smb"] * n,
    )
    for rollup in ("weighted", "additive"):
        card = {**copy.deepcopy(CARD), "rollup": rollup}
        for g in card["groups"].values():
            g["weight"] = 0.4 if rollup == "additive" else g.get("weight", 1)
        health = HealthConfig.model_validate(
            {"scorecards": {"main": card}, "default_scorecard": "main"}
        )
        scores = score(table, health)
        sums = pc.sum(scores.contributions["contribution"]).as_py()
        got = scores.contributions.group_by("account_id").aggregate([("contribution", "sum")])
        total = dict(
            zip(got["account_id"].to_pylist(), got["contribution_sum"].to_pylist(), strict=True)
        )
        for row in scores.accounts.to_pylist():
            if row["score"] is not None:
                assert total[row["account_id"]] == pytest.approx(row["score"], abs=1e-9)
        assert sums > 0
        # Scores stay within 0-100.
        values = scores.accounts["score"].drop_null().to_numpy()
        assert values.min() >= 0 and values.max() <= 100


def test_missing_skip_versus_stated_default() -> None:
    table = inputs()
    skip = by_account(score(table, config()))
    card = {**CARD, "missing": 0}
    health = HealthConfig.model_validate(
        {"scorecards": {"main": card}, "default_scorecard": "main"}
    )
    stated = by_account(score(table, health))
    # B with every missing measure at 0 (renewal keeps its own 50): usage 0, risk 0 (urgent),
    # renewal 50 -> (3*0 + 0 + 50) / 5 = 10; skipped, it was 25.
    assert skip["B"]["score"] == pytest.approx(25)
    assert stated["B"]["score"] == pytest.approx(10)


def test_explanation_and_what_moved() -> None:
    before = score(inputs(), config())
    after = score(inputs(active_users_28=[18, None, None, 5], nps=[3.0, None, None, 9.0]), config())
    text = explain(before, "A")
    assert text.scorecard == "main" and text.band == "amber"
    assert text.set_by == ["effort"]
    assert sum(m.contribution for m in text.measures) == pytest.approx(text.score)
    top = {m.label for m in text.measures[:2]}  # 15 points each, the largest
    assert top == {"active users (28 days)", "key features used (28 days)"}
    moved = what_moved(before, after, "A")
    assert [m.text for m in moved] == [
        "active users (28 days) rose from 10 to 18",
        "NPS fell from 7 to 3",
    ]
    # Users 50 -> 90 points at weight 0.3: +12; NPS now sets the worst-of (30 < 66.67): +6.
    # The effort measure's share fell to 0 but its input did not move: not listed.
    assert moved[0].contribution_change == pytest.approx(0.3 * 40)
    assert moved[1].contribution_change == pytest.approx(0.2 * 30)
    assert [m.text for m in what_moved(before, after, "D")] == ["NPS rose from 8 to 9"]


def test_parents_roll_up_children() -> None:
    table = (
        inputs(tier=["smb"] * 4)
        .append_column("parent_account_id", pa.array([None, "A", "A", "B"]))
        .append_column("mrr", pa.array([100.0, 300.0, 50.0, 100.0]))
    )
    scores = by_account(score(table, config()))
    a, b, d = scores["A"]["score"], scores["B"]["score"], scores["D"]["score"]
    # By ARR: A's family is A, B, D (C has no score): (100a + 300b + 100d) / 500.
    assert scores["A"]["rollup_score"] == pytest.approx((100 * a + 300 * b + 100 * d) / 500)
    assert scores["A"]["descendants"] == 2
    assert scores["B"]["rollup_score"] == pytest.approx((300 * b + 100 * d) / 400)
    assert scores["D"]["rollup_score"] == pytest.approx(d)
    counted = by_account(score(table, config(parent_rollup="count")))
    assert counted["A"]["rollup_score"] == pytest.approx((a + b + d) / 3)
    assert "rollup_score" not in by_account(score(table, config(parent_rollup="none")))["A"]


def test_missing_input_column_is_named() -> None:
    with pytest.raises(HealthInputsError, match="main/risk/nps: the inputs have no column `nps`"):
        score(inputs().drop_columns(["nps"]).filter(pc.field("tier") != "enterprise"), config())


def test_validation_errors_name_the_path() -> None:
    raw = {"health": {"scorecards": {"default": CARD}}}
    raw["health"]["scorecards"]["default"] = {
        **CARD,
        "groups": {**CARD["groups"], "usage": {**CARD["groups"]["usage"], "weight": -1}},
    }
    with pytest.raises(InvalidConfigError) as caught:
        parse_config(raw, "outsidein.toml")
    fields = [f["field"] for f in caught.value.details["fields"]]
    assert fields == ["health.scorecards.default.groups.usage.weight"]
    bad_measure = {
        "measures": {
            "active_users": {
                "field": "active_users",
                "window": 28,
                "weight": "heavy",
                "scoring": {"kind": "linear", "low": 0, "high": 1},
            }
        }
    }
    raw = {"health": {"scorecards": {"default": {"groups": {"usage": bad_measure}}}}}
    with pytest.raises(InvalidConfigError) as caught:
        parse_config(raw, "outsidein.toml")
    assert [f["field"] for f in caught.value.details["fields"]] == [
        "health.scorecards.default.groups.usage.measures.active_users.weight"
    ]
    typo = {
        "measures": {
            "x": {
                "expr": "nps + actve_users_28",
                "scoring": {"kind": "linear", "low": 0, "high": 1},
            }
        }
    }
    with pytest.raises(InvalidConfigError, match=r"did you mean `active_users_28`") as caught:
        parse_config({"health": {"scorecards": {"default": typo}}}, "outsidein.toml")
    assert caught.value.details["fields"][0]["field"] == "health.scorecards.default.measures.x.expr"
    with pytest.raises(InvalidConfigError, match="has windows: give window"):
        parse_config(
            {
                "health": {
                    "scorecards": {
                        "default": {
                            "measures": {
                                "x": {
                                    "field": "active_users",
                                    "scoring": {"kind": "linear", "low": 0, "high": 1},
                                }
                            }
                        }
                    }
                }
            },
            "t",
        )
    with pytest.raises(InvalidConfigError, match="default_scorecard `main` is not a scorecard"):
        parse_config({"health": {"default_scorecard": "main"}}, "t")
