"""Latent needs segments: groups of customers who value different outcomes.

Each segment has its own importance and satisfaction profile over the desired outcomes.
One segment is underserved (important outcomes, low satisfaction); its accounts are less
healthy, which is what lets outcome-driven analysis explain churn.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from outsidein.sim.catalog import NEEDS_AREAS, flat_outcomes
from outsidein.sim.streams import stream

F64 = NDArray[np.float64]


@dataclass(frozen=True)
class Needs:
    """The planted needs segments (ground truth for needs-based segmentation)."""

    names: tuple[str, ...]
    shares: F64  # (K,)
    importance: F64  # (K, outcomes) mean importance 1..5
    satisfaction: F64  # (K, outcomes) mean satisfaction 1..5 at average health
    key_outcomes: tuple[tuple[int, ...], ...]  # per segment, indices of its key outcomes
    underserved: int  # the segment whose key outcomes are poorly satisfied
    health_offset: F64  # (K,) shift of the segment's latent health (logit)

    @property
    def count(self) -> int:
        return len(self.names)


def make_needs(seed: int) -> Needs:
    """Draw 3 to 5 segments from the needs areas of the catalog."""
    rng = stream(seed, "needs")
    outcomes = flat_outcomes()
    n_out = len(outcomes)
    k = int(rng.integers(3, 6))
    areas = rng.choice(len(NEEDS_AREAS), size=k, replace=False)
    shares = rng.dirichlet(np.full(k, 8.0))
    importance = rng.uniform(1.6, 3.0, size=(k, n_out))
    satisfaction = rng.uniform(3.2, 4.2, size=(k, n_out))
    underserved = int(rng.integers(0, k))
    keys: list[tuple[int, ...]] = []
    offsets = rng.uniform(-0.1, 0.25, size=k)
    for i, area in enumerate(areas):
        steps = set(NEEDS_AREAS[int(area)][1])
        key = tuple(o for o, (j, s, _) in enumerate(outcomes) if (j, s) in steps)
        keys.append(key)
        importance[i, list(key)] = rng.uniform(4.2, 4.8, size=len(key))
        if i == underserved:
            satisfaction[i, list(key)] = rng.uniform(1.6, 2.3, size=len(key))
        else:
            satisfaction[i, list(key)] = rng.uniform(2.8, 4.0, size=len(key))
        # a few over-served outcomes: barely important, very satisfied
        over = rng.choice(n_out, size=3, replace=False)
        over = np.array([o for o in over if o not in key], dtype=np.int64)
        importance[i, over] = rng.uniform(1.2, 1.8, size=len(over))
        satisfaction[i, over] = rng.uniform(4.4, 4.9, size=len(over))
    offsets[underserved] = -0.7
    return Needs(
        names=tuple(NEEDS_AREAS[int(a)][0] for a in areas),
        shares=shares,
        importance=importance,
        satisfaction=satisfaction,
        key_outcomes=tuple(keys),
        underserved=underserved,
        health_offset=offsets,
    )


OUTCOME_WAVES = 3  # outcome survey waves, the last near the end of the window
WAVE_EVERY = 4  # months between waves
RELEASE_LIFT = 1.2  # satisfaction points a planted release adds to the outcomes it serves


@dataclass(frozen=True)
class Release:
    """A product release that serves some outcomes better from ``month`` on (ground truth
    for the trends: their satisfaction rises in the waves after it)."""

    month: int  # the window month it lands in; -1: no release (a window too short for two waves)
    outcomes: tuple[int, ...]
    lift: float


def survey_waves(months: int) -> list[int]:
    """Month indexes of the outcome survey waves, oldest first."""
    last = max(0, months - 3)
    return sorted({last - WAVE_EVERY * i for i in range(OUTCOME_WAVES)} - set(range(-99, 0)))


def planted_release(seed: int, needs: Needs, months: int) -> Release:
    """A release between the last two waves that serves the key outcomes of one segment
    that is not the underserved one (so the planted underserved outcomes stay underserved)."""
    waves = survey_waves(months)
    if len(waves) < 2:
        return Release(-1, (), RELEASE_LIFT)
    rng = stream(seed, "release")
    others = [k for k in range(needs.count) if k != needs.underserved]
    k = int(rng.choice(others))
    month = int(rng.integers(waves[-2] + 1, waves[-1]))
    return Release(month, needs.key_outcomes[k], RELEASE_LIFT)
