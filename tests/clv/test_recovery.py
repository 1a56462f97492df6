"""BG/BB recovers the parameters it simulated from (within two standard errors, per seed).

Ground truth near the donations data of Fader, Hardie & Shang (2010): alpha 1.204,
beta 0.750, gamma 0.657, delta 2.783 with six opportunities.
"""

from __future__ import annotations

import numpy as np
import pytest

from outsidein.clv import bgbb

TRUE = np.array([1.204, 0.750, 0.657, 2.783])


@pytest.mark.parametrize("seed", [11, 12, 13, 14])
def test_bgbb_recovers_simulated_parameters(seed: int) -> None:
    d = bgbb.simulate(TRUE, 20_000, 6, seed=seed)
    fit = bgbb.fit(d)
    assert fit.converged
    assert np.all(np.abs(fit.params - TRUE) <= 2 * fit.se), (fit.params, fit.se)
    assert len(d.x) < 30  # 20,000 customers, at most 28 distinct (x, t_x) rows for n = 6


def test_bgbb_p_alive_of_a_buyer_at_the_last_opportunity() -> None:
    """Bought at opportunity n: alive through n for sure, so P(alive at n + 1) is the
    posterior survival E[1 - theta | survived n] = (delta + n) / (gamma + delta + n)."""
    d = bgbb.summarise([6, 0, 2], [6, 0, 2], [6, 6, 6])
    alive = dict(zip(zip(d.x, d.t_x, strict=True), bgbb.p_alive(TRUE, d), strict=True))
    gamma, delta = TRUE[2], TRUE[3]
    assert alive[(6.0, 6.0)] == pytest.approx((delta + 6) / (gamma + delta + 6), rel=1e-12)
    assert 0 < alive[(2.0, 2.0)] < alive[(6.0, 6.0)]
    assert 0 < alive[(0.0, 0.0)] < alive[(6.0, 6.0)]
