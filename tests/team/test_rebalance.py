"""Rebalancing on hand-built teams: minimal moves, books within capacity when there is room,
accounts left with their CSM when their book allows, and a stop only when nothing fits."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

from hypothesis import assume, given, settings
from hypothesis import strategies as st

from outsidein.settings.tiers import TiersConfig
from outsidein.team import FULL, Held, Limits, costs, load_of, rebalance
from outsidein.tiers.coverage import coverage

TIERS = TiersConfig()  # high_touch 15, low_touch 80, tech_touch 800 accounts per CSM
COST = costs(TIERS)


def _held(prefix: str, tier: str, arrs: list[int]) -> list[Held]:
    return [Held(f"{prefix}-{i:02d}", tier, Decimal(a)) for i, a in enumerate(arrs)]


def test_costs_and_load_follow_the_tiers_coverage() -> None:
    shares = {"high_touch": Fraction(1, 15), "low_touch": Fraction(1, 80),
              "tech_touch": Fraction(1, 800)}  # fmt: skip
    assert shares == COST
    assert load_of({"high_touch": 15}, COST) == FULL  # exactly full, not 1.0000000002
    rows = [{"tier": "high_touch", "arr": 1, "csm_id": "a"}] * 7 + [
        {"tier": "low_touch", "arr": 1, "csm_id": "a"}
    ] * 30
    assert (
        float(load_of({"high_touch": 7, "low_touch": 30}, COST))
        == coverage(rows, TIERS).csms[0].load
    )
    assert Limits(40).utilisation(Fraction(1, 2), 50) == Fraction(5, 4)
    assert Limits(None).utilisation(Fraction(1, 2), 500) == Fraction(1, 2)


def test_the_fewest_moves_and_the_lowest_arr() -> None:
    """A holds 16 high-touch accounts: one too many. Moving any one closes the gap; the
    lowest-ARR one goes, to B (who serves high-touch and has room), not to C (who does not
    serve it, though less utilised)."""
    arrs = [500, 300, 120, 900, 450, 600, 700, 800, 350, 400, 650, 750, 550, 250, 999, 1000]
    b = _held("B", "high_touch", [100] * 5)
    c = _held("C", "low_touch", [10] * 2)
    plan = rebalance({"A": _held("A", "high_touch", arrs), "B": b, "C": c}, {}, COST)
    assert [(m.account_id, m.from_csm, m.to_csm) for m in plan.moves] == [("A-02", "A", "B")]
    assert plan.over_before == ["A"] and plan.unresolved == []
    assert plan.after == {"A": FULL, "B": 6 * COST["high_touch"], "C": 2 * COST["low_touch"]}


def test_one_move_beats_cheaper_ones() -> None:
    """A holds 15 high-touch and 2 tech-touch accounts, a hair over. Moving a tech-touch
    account (ARR 1) does not close the gap; one high-touch account does: the fewest moves
    first, then the lowest ARR among the moves that do it."""
    a = _held("A", "high_touch", [500, 300, 120, 900, 450, 600, 700, 800, 350, 400, 650, 750,
                                  550, 250, 999]) + _held("T", "tech_touch", [1, 2])  # fmt: skip
    plan = rebalance({"A": a, "B": []}, {"B": Limits()}, COST)
    assert [(m.account_id, m.arr) for m in plan.moves] == [("A-02", Decimal(120))]
    assert plan.after["A"] == 14 * COST["high_touch"] + 2 * COST["tech_touch"]


def test_the_person_s_capacity_moves_the_cheapest_accounts() -> None:
    """A's own capacity is 3 and A holds 5: two moves, the two lowest ARR, to the least
    utilised CSM serving their tier."""
    a = _held("A", "low_touch", [50, 10, 40, 20, 30])
    b = _held("B", "low_touch", [5])
    c = _held("C", "low_touch", [5, 5])
    plan = rebalance({"A": a, "B": b, "C": c}, {"A": Limits(3), "C": Limits(4)}, COST)
    assert [(m.account_id, m.arr, m.to_csm) for m in plan.moves] == [
        ("A-01", Decimal(10), "B"),
        ("A-03", Decimal(20), "B"),
    ]
    assert plan.after["A"] == 1 and plan.arr_moved == 30


def test_larger_shares_first_when_one_move_does_not_do() -> None:
    """A is over by more than one high-touch account's share: high-touch accounts go first
    (the fewest moves), the cheapest of them, then the one that closes the gap."""
    a = _held("A", "high_touch", [100 + i for i in range(17)])  # 17/15: two too many
    a += _held("L", "low_touch", [1] * 8)  # 8/80 = 0.1 more
    plan = rebalance({"A": a, "B": [], "C": []}, {"B": Limits(), "C": Limits()}, COST)
    # Over by 2/15 + 1/10 = 7/30: three high-touch accounts (3/15 = 6/30) do not do, a
    # fourth does; no mix of fewer moves could (each move removes at most 1/15).
    assert len(plan.moves) == 4
    assert [m.account_id for m in plan.moves] == ["A-00", "A-01", "A-02", "A-03"]
    # Two empty books (new hires) serve any tier: the least utilised takes each in turn.
    assert [m.to_csm for m in plan.moves] == ["B", "C", "B", "C"]
    assert plan.after["A"] <= FULL


def test_books_within_capacity_stay_as_they_are() -> None:
    books = {
        "A": _held("A", "high_touch", [1] * 15),
        "B": _held("B", "low_touch", [1] * 80),
        "C": _held("C", "tech_touch", [1] * 10),
    }
    plan = rebalance(books, {"C": Limits(10)}, COST)
    assert plan.moves == [] and plan.over_before == []
    assert plan.before == plan.after


def test_no_room_is_said_not_hidden() -> None:
    books = {"A": _held("A", "high_touch", [1] * 20), "B": _held("B", "high_touch", [1] * 14)}
    plan = rebalance(books, {}, COST)
    assert [m.to_csm for m in plan.moves] == ["B"]  # B had room for exactly one
    assert plan.unresolved == ["A"] and plan.after["A"] > FULL and plan.after["B"] == FULL


TIER_NAMES = ["high_touch", "low_touch", "tech_touch"]
account = st.tuples(st.sampled_from(TIER_NAMES), st.integers(0, 10_000))


@st.composite
def teams(
    draw: st.DrawFn, with_capacity: bool = True
) -> tuple[dict[str, list[Held]], dict[str, Limits]]:
    n = draw(st.integers(1, 6))
    books: dict[str, list[Held]] = {}
    limits: dict[str, Limits] = {}
    for i in range(n):
        held = draw(st.lists(account, max_size=40))
        books[f"c{i}"] = [Held(f"c{i}-{j}", t, Decimal(a)) for j, (t, a) in enumerate(held)]
        cap = draw(st.one_of(st.none(), st.integers(1, 40))) if with_capacity else None
        limits[f"c{i}"] = Limits(cap)
    return books, limits


def _check_moves(books: dict[str, list[Held]], limits: dict[str, Limits]) -> None:
    plan = rebalance(books, limits, COST)
    over = set(plan.over_before)
    # Only accounts of books over capacity move, each once, never to a book that was over.
    assert {m.from_csm for m in plan.moves} <= over
    assert not {m.to_csm for m in plan.moves} & over
    assert len({m.account_id for m in plan.moves}) == len(plan.moves)
    # Receivers stay within capacity; the after figures are the books with the moves made.
    final = {c: {h.account_id: h for h in held} for c, held in books.items()}
    for m in plan.moves:
        final[m.to_csm][m.account_id] = final[m.from_csm].pop(m.account_id)
    for c, held in final.items():
        tiers: dict[str | None, int] = {}
        for h in held.values():
            tiers[h.tier] = tiers.get(h.tier, 0) + 1
        assert plan.after[c] == limits.get(c, Limits()).utilisation(load_of(tiers, COST), len(held))
        if c not in over:
            assert plan.after[c] <= FULL
    # A giver is left over only when no receiver could take any account it still holds.
    for c in plan.unresolved:
        for h in final[c].values():
            for r in final:
                if r in over:
                    continue
                tiers = {}
                for x in final[r].values():
                    tiers[x.tier] = tiers.get(x.tier, 0) + 1
                tiers[h.tier] = tiers.get(h.tier, 0) + 1
                room = limits.get(r, Limits()).utilisation(load_of(tiers, COST), len(final[r]) + 1)
                assert room > FULL
    assert [c for c in plan.over_before if plan.after[c] > FULL] == sorted(plan.unresolved)


@settings(max_examples=150, deadline=None)
@given(teams())
def test_moves_are_sound_on_any_team(team: tuple[dict[str, list[Held]], dict[str, Limits]]) -> None:
    _check_moves(*team)


@settings(max_examples=100, deadline=None)
@given(teams(with_capacity=False))
def test_every_book_ends_within_tier_capacity_when_there_is_room(
    team: tuple[dict[str, list[Held]], dict[str, Limits]],
) -> None:
    """Tier loads only: a stuck plan would leave every CSM above 1 - the largest share, so
    when the team's total load is below that, every book ends within capacity."""
    books, limits = team
    total = sum((load_of({h.tier: 1}, COST) for held in books.values() for h in held), Fraction(0))
    assume(total <= len(books) * (FULL - COST["high_touch"]))
    plan = rebalance(books, limits, COST)
    assert plan.unresolved == [] and all(u <= FULL for u in plan.after.values())


@settings(max_examples=100, deadline=None)
@given(st.lists(st.integers(0, 30), min_size=1, max_size=6), st.data())
def test_every_book_ends_within_own_capacity_when_there_is_room(
    sizes: list[int], data: st.DataObject
) -> None:
    """Own capacities only (accounts of a tier that costs nothing): feasible exactly when the
    accounts fit the capacities in total, and then every book ends within."""
    caps = [data.draw(st.integers(1, 30)) for _ in sizes]
    assume(sum(sizes) <= sum(caps))
    books = {f"c{i}": [Held(f"c{i}-{j}", None, Decimal(j)) for j in range(n)]
             for i, n in enumerate(sizes)}  # fmt: skip
    limits = {f"c{i}": Limits(cap) for i, cap in enumerate(caps)}
    plan = rebalance(books, limits, COST)
    assert plan.unresolved == [] and all(u <= FULL for u in plan.after.values())
    expected = sum(max(0, n - cap) for n, cap in zip(sizes, caps, strict=True))
    assert len(plan.moves) == expected  # the fewest: exactly each book's excess
