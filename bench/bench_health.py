"""Full health recompute: 100k accounts, a 20-measure scorecard three levels deep.

Synthesises an inputs table (one row per account, ~10 % of each input missing) and times
``outsidein.health.engine.score`` over it: scorecard assignment by rule, every measure's
points, the roll-ups, bands and the long contributions table (2 million rows). Goal: at most
5 s on a 2-core machine (issue 14).

    .venv/bin/python bench/bench_health.py [--accounts 100000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np
import pyarrow as pa

from outsidein.health.engine import score
from outsidein.settings.health import HealthConfig


def linear(field: str, low: float, high: float, **more: object) -> dict[str, object]:
    return {"field": field, "scoring": {"kind": "linear", "low": low, "high": high}, **more}


def bands(
    field: str, thresholds: list[float], points: list[float], **more: object
) -> dict[str, object]:
    return {
        "field": field,
        "scoring": {"kind": "bands", "thresholds": thresholds, "points": points},
        **more,
    }


def scorecard() -> dict[str, object]:
    """20 measures; root -> 4 groups -> 1-2 subgroups each (three levels of groups)."""
    return {
        "groups": {
            "usage": {
                "weight": 40,
                "groups": {
                    "reach": {
                        "measures": {
                            "users_7": linear("active_users", 0, 10, window=7),
                            "users_28": linear("active_users", 0, 20, window=28),
                            "users_90": linear("active_users", 0, 30, window=90),
                            "seats": linear("seat_utilization", 0.1, 0.6, weight=2),
                        }
                    },
                    "depth": {
                        "rollup": "additive",
                        "measures": {
                            "breadth_28": linear("breadth", 0, 0.8, window=28, weight=0.4),
                            "breadth_90": linear("breadth", 0, 0.8, window=90, weight=0.3),
                            "stickiness": linear("stickiness", 0, 0.2, window=28, weight=0.3),
                        },
                    },
                },
                "measures": {
                    "recency": bands(
                        "days_since_last_activity",
                        [3, 8, 15, 31],
                        [100, 80, 50, 20, 0],
                        direction="lower",
                        missing=0,
                    ),
                    "trend": linear("events_trend", -0.5, 0.5, window=28),
                },
            },
            "voice": {
                "weight": 25,
                "groups": {
                    "surveys": {
                        "measures": {
                            "nps": bands("nps", [7, 9], [0, 50, 100]),
                            "csat": linear("csat", 1, 5),
                            "ces": linear("ces", 1, 7, direction="lower"),
                        }
                    }
                },
                "measures": {
                    "intensity": {
                        "expr": "events_per_active_user_28 / max(events_per_active_user_90, 1)",
                        "scoring": {"kind": "linear", "low": 0.5, "high": 1.5},
                    }
                },
            },
            "support": {
                "weight": 20,
                "rollup": "worst",
                "groups": {
                    "cases": {
                        "rollup": "worst",
                        "measures": {
                            "urgent": bands(
                                "urgent_cases", [1, 2], [100, 40, 0], direction="lower"
                            ),
                            "breached": bands(
                                "breached_slas", [1, 3], [100, 50, 0], direction="lower"
                            ),
                            "open": linear("open_cases", 0, 6, direction="lower"),
                        },
                    }
                },
            },
            "commercial": {
                "weight": 15,
                "measures": {
                    "renewal": {
                        "field": "days_to_renewal",
                        "missing": 70,
                        "scoring": {
                            "kind": "conditions",
                            "base": 100,
                            "conditions": [
                                {"when": "value < 60 and urgent_cases > 0", "points": -50},
                                {"when": "value < 30", "points": -20},
                            ],
                        },
                    },
                    "mrr": linear("mrr", 0, 5000),
                },
                "groups": {
                    "value": {
                        "measures": {
                            "features": linear("key_features_used", 0, 8, window=28),
                            "events": linear("events_per_active_user", 0, 40, window=28),
                        }
                    }
                },
            },
        }
    }


def count_measures(group: dict[str, object]) -> int:
    measures = len(group.get("measures", {}))  # type: ignore[arg-type]
    return measures + sum(count_measures(g) for g in group.get("groups", {}).values())  # type: ignore[union-attr]


def synthesise(n: int, seed: int = 1) -> pa.Table:
    rng = np.random.default_rng(seed)

    def holes(values: np.ndarray) -> pa.Array:
        return pa.array(values, mask=rng.random(n) < 0.1)

    columns: dict[str, pa.Array] = {"account_id": pa.array([f"ACC-{i:06d}" for i in range(n)])}
    for w in (7, 28, 90):
        columns[f"active_users_{w}"] = holes(rng.poisson(w / 2, n).astype(np.float64))
        columns[f"breadth_{w}"] = holes(rng.random(n))
        columns[f"stickiness_{w}"] = holes(rng.random(n) * 0.2)
        columns[f"events_trend_{w}"] = holes(rng.normal(0, 0.5, n))
        columns[f"events_per_active_user_{w}"] = holes(rng.gamma(2, 10, n))
        columns[f"key_features_used_{w}"] = holes(rng.integers(0, 10, n).astype(np.float64))
    columns.update(
        seat_utilization=holes(rng.random(n)),
        days_since_last_activity=holes(rng.integers(0, 60, n).astype(np.float64)),
        nps=holes(rng.integers(0, 11, n).astype(np.float64)),
        csat=holes(rng.integers(1, 6, n).astype(np.float64)),
        ces=holes(rng.integers(1, 8, n).astype(np.float64)),
        open_cases=holes(rng.poisson(0.3, n).astype(np.float64)),
        urgent_cases=holes(rng.poisson(0.1, n).astype(np.float64)),
        breached_slas=holes(rng.poisson(0.2, n).astype(np.float64)),
        days_to_renewal=holes(rng.integers(0, 365, n).astype(np.float64)),
        mrr=holes(rng.gamma(1.5, 800, n)),
        tier=pa.array(rng.choice(["smb", "mid", "enterprise"], n)),
        lifecycle_status=pa.array(rng.choice(["onboarding", "active", "renewal"], n)),
        segment=pa.array(rng.choice(["retail", "software", "finance"], n)),
    )
    return pa.table(columns)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--accounts", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    card = scorecard()
    rule = "lifecycle_status = 'onboarding' and tier in ('smb', 'mid')"
    health = HealthConfig.model_validate(
        {
            "scorecards": {"onboarding": card, "default": card},
            "assign": [{"scorecard": "onboarding", "when": rule}],
        }
    )
    inputs = synthesise(args.accounts)
    times = []
    for _ in range(args.repeat):
        started = time.perf_counter()
        scores = score(inputs, health)
        times.append(time.perf_counter() - started)
    scored = scores.accounts["score"].null_count
    print(
        f"health full recompute: {args.accounts:,} accounts, {count_measures(card)} measures, "
        f"3 levels of groups, 2 scorecards by rule: best {min(times):.2f} s, "
        f"median {statistics.median(times):.2f} s over {args.repeat} runs "
        f"({scores.contributions.num_rows:,} contribution rows; {scored} accounts unscored); "
        "goal <= 5 s"
    )


if __name__ == "__main__":
    main()
