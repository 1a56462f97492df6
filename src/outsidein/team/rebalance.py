"""Rebalancing suggestions: the fewest moves that bring every book within capacity, each
account staying with its CSM where possible.

The algorithm (deterministic; docs/team.md#rebalancing):

1. **Who gives.** The CSMs over capacity (utilisation above 1, :mod:`outsidein.team.capacity`),
   most over first (then by id). Only their accounts ever move: a book within capacity is
   left as it is, and nobody receives an account who was over capacity at the start.
2. **What moves.** While a giver is over, it moves one account: if some single account
   brings the book within capacity, the lowest-ARR of those (then by id); otherwise the one
   that lowers its utilisation most (the highest tier cost, or any account when the person's
   own capacity binds), lowest ARR first. Largest reductions first then one that closes the
   gap makes the count of moves minimal for a giver (the largest k costs are the most k
   moves can remove), and the last move the cheapest in ARR that does it.
3. **Who receives.** The account goes to a CSM who stays within capacity with it:
   preferably one already serving its tier (an empty book, a new hire's, serves any), then
   the one left least utilised, then by id.
   When nobody can take any of a giver's remaining accounts, the giver stays over and the
   plan says so (``unresolved``): the team lacks room, not the algorithm a move.

Pure: books in, moves out, so tests check it on hand-built teams.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction

from outsidein.team.capacity import FULL, Limits, load_of

__all__ = ["Held", "Move", "Plan", "rebalance"]


@dataclass(frozen=True)
class Held:
    """One customer in a book: its tier (None: not recorded) and ARR."""

    account_id: str
    tier: str | None
    arr: Decimal
    name: str | None = None


@dataclass(frozen=True)
class Move:
    account_id: str
    name: str | None
    tier: str | None
    arr: Decimal
    from_csm: str
    to_csm: str


@dataclass(frozen=True)
class Plan:
    """The suggested moves, and each CSM's utilisation before and after them."""

    moves: list[Move]
    before: dict[str, Fraction]
    after: dict[str, Fraction]
    unresolved: list[str] = field(default_factory=list)  # still over: no room left

    @property
    def over_before(self) -> list[str]:
        return sorted(c for c, u in self.before.items() if u > FULL)

    @property
    def arr_moved(self) -> Decimal:
        return sum((m.arr for m in self.moves), Decimal(0))


class _Book:
    """One CSM's book while the plan is made."""

    def __init__(self, held: Sequence[Held], limits: Limits, cost: Mapping[str, Fraction]):
        self.held = {h.account_id: h for h in held}
        self.limits = limits
        self.cost = cost
        self.counts: dict[str | None, int] = {}
        for h in held:
            self.counts[h.tier] = self.counts.get(h.tier, 0) + 1

    def with_change(self, tier: str | None, step: int) -> Fraction:
        """The utilisation with one account of ``tier`` more (``step`` 1) or less (-1)."""
        counts = dict(self.counts)
        counts[tier] = counts.get(tier, 0) + step
        return self.limits.utilisation(load_of(counts, self.cost), len(self.held) + step)

    def now(self) -> Fraction:
        return self.limits.utilisation(load_of(self.counts, self.cost), len(self.held))

    def serves(self, tier: str | None) -> bool:
        """Whether it holds accounts of ``tier``; an empty book (a new hire's) serves any."""
        return not self.held or self.counts.get(tier, 0) > 0

    def take(self, h: Held) -> None:
        self.held[h.account_id] = h
        self.counts[h.tier] = self.counts.get(h.tier, 0) + 1

    def give(self, h: Held) -> None:
        del self.held[h.account_id]
        self.counts[h.tier] -= 1


def rebalance(
    books: Mapping[str, Sequence[Held]],
    limits: Mapping[str, Limits],
    cost: Mapping[str, Fraction],
) -> Plan:
    """Moves that bring every book of ``books`` (CSM id -> customers) within its ``limits``
    (CSMs missing there have no own capacity; CSMs in ``limits`` with no book receive too),
    with ``cost`` per tier (:func:`outsidein.team.capacity.costs`)."""
    state = {c: _Book(books.get(c, ()), limits.get(c, Limits()), cost)
             for c in sorted(set(books) | set(limits))}  # fmt: skip
    before = {c: b.now() for c, b in state.items()}
    givers = sorted((c for c, u in before.items() if u > FULL), key=lambda c: (-before[c], c))
    receivers = [c for c in state if before[c] <= FULL]
    moves: list[Move] = []
    unresolved: list[str] = []
    for giver in givers:
        book = state[giver]
        while book.now() > FULL:
            move = _next_move(book, [state[r] for r in receivers], receivers)
            if move is None:
                unresolved.append(giver)
                break
            held, to = move
            book.give(held)
            state[to].take(held)
            moves.append(Move(held.account_id, held.name, held.tier, held.arr, giver, to))
    after = {c: b.now() for c, b in state.items()}
    return Plan(moves, before, after, unresolved)


def _next_move(book: _Book, others: list[_Book], names: list[str]) -> tuple[Held, str] | None:
    """The account ``book`` gives next and who takes it (rule 2 and 3), or None."""
    options: list[tuple[Held, str, Fraction]] = []
    receiver_of: dict[str | None, str | None] = {}
    for held in book.held.values():
        if held.tier not in receiver_of:
            receiver_of[held.tier] = _receiver(held.tier, others, names)
        to = receiver_of[held.tier]
        if to is not None:
            options.append((held, to, book.with_change(held.tier, -1)))
    if not options:
        return None
    closing = [o for o in options if o[2] <= FULL]
    if closing:
        held, to, _ = min(closing, key=lambda o: (o[0].arr, o[0].account_id))
    else:
        held, to, _ = min(options, key=lambda o: (o[2], o[0].arr, o[0].account_id))
    return held, to


def _receiver(tier: str | None, others: list[_Book], names: list[str]) -> str | None:
    """Who takes an account of ``tier``: within capacity with it, serving the tier first,
    then least utilised after, then by id."""
    best: tuple[bool, Fraction, str] | None = None
    for other, name in zip(others, names, strict=True):
        after = other.with_change(tier, 1)
        if after > FULL:
            continue
        key = (not other.serves(tier), after, name)
        if best is None or key < best:
            best = key
    return None if best is None else best[2]
