"""The shipped scorecard on a simulated company, judged against the simulator's ground truth.

The card was tuned on another seed (5); this test uses seed 9, so its figures are out of
sample. Both are reported beside what the latent health itself achieves (docs/health.md).
Measured (1,500 accounts, 15 months, scored 100 days before the end; 1,1xx paying customers):
Spearman rank correlation with latent health 0.633 (0.688 on the tuning seed); ROC AUC for
churn within the next 90 days 0.734, where the latent health itself has 0.756 (0.734 and 0.742
on the tuning seed). The floors sit just below; the simulator is deterministic per seed.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from scipy.stats import spearmanr
from sklearn.metrics import roc_auc_score

from outsidein.health.engine import score
from outsidein.settings.health import HealthConfig
from tests.health.simulated import Truth, make_company, truth_at

SEED = 9


@pytest.fixture(scope="module")
def truth(tmp_path_factory: pytest.TempPathFactory) -> Truth:
    folder: Path = tmp_path_factory.mktemp("health-sim")
    return truth_at(make_company(folder, seed=SEED), folder / "outsidein.duckdb")


@pytest.mark.slow
def test_default_scorecard_tracks_latent_health_and_churn(truth: Truth) -> None:
    scores = score(truth.inputs, HealthConfig())
    value = scores.accounts["score"].to_numpy(zero_copy_only=False).astype(float)
    known = ~np.isnan(value) & ~np.isnan(truth.latent)
    assert known.mean() > 0.99  # every paying customer gets a score
    rho = spearmanr(value[known], truth.latent[known]).statistic
    auc = roc_auc_score(truth.churned_90[known], -value[known])
    latent_auc = roc_auc_score(truth.churned_90[known], -truth.latent[known])
    print(f"spearman {rho:.3f}; auc {auc:.3f} (latent health itself: auc {latent_auc:.3f})")
    assert truth.churned_90[known].sum() >= 30  # enough churners for the AUC to mean something
    assert rho >= FLOOR_RHO
    assert auc >= FLOOR_AUC
    assert latent_auc >= auc - 0.1  # the truth stays the better ranking, within reason


FLOOR_RHO = 0.62
FLOOR_AUC = 0.72


def test_the_demo_writes_the_default_scorecard() -> None:
    """`outsidein demo` and `outsidein simulate` write the card into their outsidein.toml."""
    import tomllib

    from outsidein.config import parse_config
    from outsidein.sim.settings import company_config

    written = tomllib.loads(company_config())
    assert (
        "seat_utilization"
        in written["health"]["scorecards"]["default"]["groups"]["usage"]["measures"]
    )
    assert parse_config(written, "demo").health == HealthConfig()
