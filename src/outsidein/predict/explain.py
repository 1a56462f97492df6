"""Reasons in words: each account's top drivers from the model's own contributions.

The blend's per-feature contributions to the logit (LightGBM ``pred_contrib`` plus the linear
terms, :meth:`outsidein.predict.model.Fitted.contributions`) are summed by feature family
(usage, support, champion, renewal, ...). The families that raise the risk most are the
account's drivers, each said with the figures behind it.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import pandas as pd

from outsidein.predict.features import family_of
from outsidein.predict.model import Fitted

__all__ = ["Driver", "family_contributions", "top_drivers"]


@dataclass(frozen=True)
class Driver:
    family: str
    contribution: float  # added to the account's logit
    words: str


def family_contributions(model: Fitted, frame: pd.DataFrame) -> pd.DataFrame:
    """Rows as ``frame``, one column per feature family: its share of the logit."""
    per_feature = model.contributions(frame)
    families = {name: family_of(name) for name in per_feature.columns}
    return per_feature.T.groupby(families).sum().T


def _num(row: pd.Series, name: str) -> float | None:
    value = row.get(name)
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    return float(value)


def _usage(row: pd.Series) -> str:
    change = _num(row, "active_users_change_28")
    slow = _num(row, "active_users_change_90")
    users = _num(row, "active_users_28")
    idle = _num(row, "days_since_last_activity")
    parts = []
    if change is not None and change <= -0.1:
        parts.append(f"active users fell {abs(change):.0%} in 28 days")
    elif change is not None and change >= 0.1:
        parts.append(f"active users rose {change:.0%} in 28 days")
    elif slow is not None and abs(slow) >= 0.1:
        parts.append(f"active users {'fell' if slow < 0 else 'rose'} {abs(slow):.0%} in 90 days")
    if users is not None:
        parts.append(f"{users:.0f} active users in the last 28 days")
    if idle is not None and idle >= 14:
        parts.append(f"no activity for {idle:.0f} days")
    return "; ".join(parts) or "product usage"


def _support(row: pd.Series) -> str:
    opened = _num(row, "cases_opened_90") or 0
    urgent = _num(row, "urgent_cases") or 0
    severe = _num(row, "severe_cases_180") or 0
    peak = _num(row, "severe_cases_peak_30") or 0
    slow = _num(row, "case_time_to_sla_90")
    parts = [f"{opened:.0f} cases opened in 90 days"]
    if urgent:
        parts.append(f"{urgent:.0f} urgent cases open")
    if peak >= 2:
        parts.append(f"{peak:.0f} high or urgent cases within 30 days (in the last 180)")
    elif severe:
        parts.append(f"{severe:.0f} high or urgent cases in 180 days")
    if slow is not None and slow >= 1:
        parts.append(f"cases took {slow:.1f}x their SLA to close")
    return "; ".join(parts)


def _renewal(row: pd.Series) -> str:
    days = _num(row, "days_to_renewal")
    term = _num(row, "contract_term_months")
    if days is not None:
        return f"renewal in {days:.0f} days"
    if term == 1:
        return "a month-to-month contract (it can end any month)"
    return "the contract's renewal"


def _champion(row: pd.Series) -> str:
    left = _num(row, "champion_left_noted_days")
    days = _num(row, "champion_changed_days")
    parts = []
    if left is not None:
        parts.append(f"the champion left (noted {left:.0f} days ago)")
    if days is not None:
        parts.append(f"a new champion {days:.0f} days ago")
    return "; ".join(parts) or "the champion"


def _revenue(row: pd.Series) -> str:
    change = _num(row, "mrr_change_90")
    if change is not None and abs(change) >= 0.05:
        return f"MRR {'down' if change < 0 else 'up'} {abs(change):.0%} in 90 days"
    return "MRR level"


def _surveys(row: pd.Series) -> str:
    nps = _num(row, "nps")
    return f"latest NPS answer {nps:.0f}" if nps is not None else "no recent survey answer"


def _journey(row: pd.Series) -> str:
    recent = _num(row, "interruptions_30d")
    if recent:
        return f"{recent:.0f} journey interruptions in 30 days"
    days = _num(row, "days_in_stage")
    stage = row.get("journey_stage")
    if days is not None and isinstance(stage, str):
        return f"{days:.0f} days in the {stage} stage"
    return "journey signals"


def _outcomes(row: pd.Series) -> str:
    sat = _num(row, "outcome_satisfaction")
    return f"outcome satisfaction {sat:.1f} of 10" if sat is not None else "no outcome survey"


def _plans(row: pd.Series) -> str:
    off = _num(row, "plans_off_track")
    return f"{off:.0f} success plans off track" if off else "success plans on track"


WORDS: dict[str, Callable[[pd.Series], str]] = {
    "journey": _journey,
    "outcomes": _outcomes,
    "success plans": _plans,
    "usage": _usage,
    "support": _support,
    "renewal": _renewal,
    "champion": _champion,
    "revenue": _revenue,
    "surveys": _surveys,
}


def top_drivers(model: Fitted, frame: pd.DataFrame, *, top: int = 3) -> list[list[Driver]]:
    """Per row of ``frame``: up to ``top`` families that raise the risk most, in words."""
    shares = family_contributions(model, frame)
    out = []
    for i in range(len(frame)):
        row = frame.iloc[i]
        ranked = shares.iloc[i].sort_values(ascending=False)
        drivers: list[Driver] = []
        for family, value in ranked.items():
            if value <= 0 or len(drivers) == top:
                break
            say = WORDS.get(str(family), lambda _row, f=str(family): f)
            drivers.append(Driver(str(family), float(value), say(row)))
        out.append(drivers)
    return out
