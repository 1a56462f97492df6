"""One account's score in words: what each measure gave, and what moved between two scores.

Everything is read from :class:`~outsidein.health.engine.Scores` (the contributions table),
so an explanation can never disagree with the score it explains.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from outsidein.errors import NotFoundError
from outsidein.health.engine import MeasureInfo, Scores


@dataclass(frozen=True)
class MeasureLine:
    """One measure of one account's score."""

    measure: str  # path in the scorecard, e.g. "usage/active_users"
    label: str
    raw: float | None
    points: float | None
    weight: float
    contribution: float
    missing: bool
    set_score: bool  # under worst-of: this measure set the group's (and so the card's) score


@dataclass(frozen=True)
class Explanation:
    account_id: str
    scorecard: str
    score: float | None
    band: str | None
    measures: list[MeasureLine]

    @property
    def set_by(self) -> list[str]:
        """The measures that set a worst-of group's score (empty without worst-of)."""
        return [m.label for m in self.measures if m.set_score]


@dataclass(frozen=True)
class Move:
    """How one measure changed between two scores of the same account."""

    measure: str
    label: str
    before: float | None
    after: float | None
    contribution_change: float
    text: str


def number(value: float | None) -> str:
    """A raw value as people write it: 41, 0.45, 12.35."""
    if value is None:
        return "missing"
    if float(value).is_integer():
        return f"{int(value):,}"
    return f"{value:,.2f}".rstrip("0").rstrip(".")


def _rows(scores: Scores, account_id: str) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    accounts = scores.accounts.filter(pc.equal(scores.accounts["account_id"], account_id))
    if accounts.num_rows == 0:
        raise NotFoundError(f"no score for account {account_id!r}", account_id=account_id)
    contributions = scores.contributions.filter(
        pc.equal(scores.contributions["account_id"], account_id)
    )
    return accounts.to_pylist()[0], contributions.to_pylist()


def _info(scores: Scores, card: str, path: str) -> MeasureInfo:
    return scores.measures.get(
        (card, path), MeasureInfo(card, path, path.rsplit("/", 1)[-1], "higher", "weighted")
    )


def explain(scores: Scores, account_id: str) -> Explanation:
    """Each measure's raw value, points, effective weight and contribution for one account."""
    account, rows = _rows(scores, account_id)
    lines = [
        MeasureLine(
            r["measure"],
            _info(scores, r["scorecard"], r["measure"]).label,
            r["raw"],
            r["points"],
            r["weight"],
            r["contribution"],
            r["missing"],
            r["set_score"],
        )
        for r in rows
    ]
    lines.sort(key=lambda line: -line.contribution)
    return Explanation(account_id, account["scorecard"], account["score"], account["band"], lines)


def _move_text(label: str, before: float | None, after: float | None) -> str:
    if before is None and after is None:
        return f"{label} is still missing"
    if before is None:
        return f"{label} is now known: {number(after)}"
    if after is None:
        return f"{label} is now missing (was {number(before)})"
    if math.isclose(before, after, rel_tol=0, abs_tol=1e-12):
        return f"{label} stayed at {number(after)}"
    verb = "rose" if after > before else "fell"
    return f"{label} {verb} from {number(before)} to {number(after)}"


def what_moved(before: Scores, after: Scores, account_id: str, *, limit: int = 10) -> list[Move]:
    """The measures whose input changed, largest change of contribution first.

    Measures that are only in one of the two (the scorecard changed) count as from or to a
    contribution of 0.
    """
    _, old_rows = _rows(before, account_id)
    account, new_rows = _rows(after, account_id)
    old = {r["measure"]: r for r in old_rows}
    new = {r["measure"]: r for r in new_rows}
    moves: list[Move] = []
    for path in [*new, *(p for p in old if p not in new)]:
        a, b = old.get(path), new.get(path)
        raw_a = None if a is None else a["raw"]
        raw_b = None if b is None else b["raw"]
        change = (0.0 if b is None else b["contribution"]) - (
            0.0 if a is None else a["contribution"]
        )
        if raw_a == raw_b and (a is not None and b is not None):
            continue  # its input did not move (its share may have, through the others)
        card = account["scorecard"] if b is not None else a["scorecard"]  # type: ignore[index]
        label = _info(after if b is not None else before, card, path).label
        moves.append(Move(path, label, raw_a, raw_b, change, _move_text(label, raw_a, raw_b)))
    moves.sort(key=lambda m: -abs(m.contribution_change))
    return moves[:limit]


def table(explanation: Explanation) -> pa.Table:
    """The explanation's measures as a table (for the CLI, the API and pages)."""
    return pa.Table.from_pylist([vars(m) for m in explanation.measures])


__all__ = ["Explanation", "MeasureLine", "Move", "explain", "number", "what_moved"]
