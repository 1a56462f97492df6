"""The latent world: each account's health month by month and its commercial life.

Health is an AR(1) process in logit space around the account's own level, hit by shocks
(a champion leaving, support incidents). Health then drives everything observable: renewals
and churn, expansions and contractions, reactivation. A randomized "success plan" is planted
half-way through the window, and because the health shocks are shared with a counterfactual
path, its true causal effect is known exactly.

Each customer is on a contract (``catalog.CONTRACT_KINDS``) and churns only on one of its
renewal dates, ``term start + k * term`` months: a month-to-month customer may leave at any
monthly anniversary (a monthly hazard), a term customer only at the end of a term. Mid-term
changes are new subscription rows on the same contract; a win-back signs a new contract.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

from outsidein.sim.calendar import NEVER, Window, add_months, months_between
from outsidein.sim.catalog import FX, PRICE_PER_SEAT, TRIAL_SEATS
from outsidein.sim.company import Company
from outsidein.sim.needs import Needs
from outsidein.sim.streams import stream

I64 = NDArray[np.int64]
F64 = NDArray[np.float64]
B = NDArray[np.bool_]

NONE, TRIAL, ACTIVE, CHURNED = 0, 1, 2, 3  # account status
SUB_STATUSES = ("trialing", "active", "ended", "churned")
SUB_TRIALING, SUB_ACTIVE, SUB_ENDED, SUB_CHURNED = 0, 1, 2, 3
CHANGE_KINDS = ("seats_up", "seats_down", "upgrade", "downgrade")

PHI = 0.85  # monthly persistence of health deviations (logit)
SIGMA = 0.35  # monthly health noise (logit)
CHAMPION_LEFT_P = 0.012  # monthly chance the champion leaves
CHAMPION_SHOCK = 1.0
INCIDENT_P = (0.02, 0.03, 0.05)  # monthly chance of a support incident, by segment
INCIDENT_SHOCK = 0.5

TREATMENT_NAME = "success_plan"
TREATMENT_DELTA = 0.8  # logit health added every month after the plan starts
TREATMENT_THRESHOLD = 0.45  # at risk: health below this the month before
TREATMENT_SHARE = 0.5

CHURN_BASE = -2.2  # at the end of a term
CHURN_BASE_MONTHLY = -4.7  # each month of a month-to-month contract
CHURN_EARLY = 1.5  # added in a month-to-month contract's first three months
CHURN_BY_SEGMENT = (0.45, 0.0, -0.5)
CHURN_HEALTH = 1.4  # churn logit falls by this per unit of latent health logit
DRIVERS = ("low_health", "champion_left", "support_incidents", "budget_cut", "unmet_needs")
DRIVER_WEIGHTS = (0.0, 1.1, 0.7, 2.2, 0.0)  # low health and unmet needs act through health
BUDGET_CUT_P = 0.05  # at a term's end; a twelfth of it each month of a monthly contract
REACTIVATION_P = 0.012  # monthly chance a churned customer comes back (from 90 days)
PLAY_CHURN_DAYS = 90  # a churn play acts on the renewal dates this many days from its firing


@dataclass(frozen=True)
class ChurnPlay:
    """A planted play that changes churn (sim/plays.py decides nothing for it: the world does,
    because churn is drawn here). At the start of ``month`` a random ``share`` of the paying
    customers is treated; at each of a treated account's renewal dates in the 90 days from
    the firing (every monthly anniversary of a month-to-month contract, a term's end), its
    churn probability is ``delta`` higher (in probability units, capped at 1)."""

    month: int
    share: float
    delta: float


def sigmoid(x: F64) -> F64:
    return np.asarray(1.0 / (1.0 + np.exp(-x)), dtype=np.float64)


def price(plan: I64, seats: I64, currency: I64) -> F64:
    """Monthly recurring revenue: per-seat list price with a volume discount."""
    discount = np.clip(0.05 * np.log2(np.maximum(seats, 1) / 10.0), 0.0, 0.25)
    gross = seats * np.array(PRICE_PER_SEAT)[plan] * np.array(FX)[currency] * (1 - discount)
    return np.asarray(np.round(gross, 2), dtype=np.float64)


@dataclass
class Rows:
    """Growing columns of a log, appended a month at a time."""

    cols: dict[str, list[NDArray[np.generic]]] = field(default_factory=dict)

    def add(self, **values: NDArray[np.generic]) -> None:
        for key, value in values.items():
            self.cols.setdefault(key, []).append(np.asarray(value))

    def get(self, key: str) -> NDArray[np.generic]:
        parts = self.cols.get(key, [])
        return np.concatenate(parts) if parts else np.zeros(0, dtype=np.int64)


@dataclass(frozen=True)
class World:
    """The simulated history every table is drawn from, and the ground truth about it."""

    window: Window
    company: Company
    needs: Needs
    health: F64  # (accounts, months) effective health 0..1, NaN before the account exists
    health_cf: F64  # the same without the intervention
    seats: I64  # (accounts, months) seats in use during the month, 0 when not a customer
    plan: I64  # (accounts, months) plan index, -1 when not a customer
    incidents: B  # (accounts, months)
    life: I64  # (accounts, 4): start, end of first life, start, end of second (NEVER = open)
    subs: dict[str, NDArray[np.generic]]  # subscription rows, sorted by account and start
    # contract, start, kind, churn_day (-1), churn_flags (-1); "contract" of a subscription row
    # is its index here (-1 for a trial, which has none); sorted by account and start
    contracts: dict[str, NDArray[np.generic]]
    renewals: dict[str, NDArray[np.generic]]  # account, day, churned (every term end; monthly:
    # churns only)
    changes: dict[str, NDArray[np.generic]]  # account, day, kind
    reactivation_day: I64  # -1 when never reactivated
    churn_day: I64  # day of the last churn, -1 when none
    churned: B  # churned and not (re)active at the end
    driver_flags: I64  # bit i set when DRIVERS[i] applied at the last churn
    champion_left_day: I64  # -1 when the champion stayed
    eligible: B
    treated: B
    treatment_day: I64  # -1 when untreated
    treatment_month: int
    effect: dict[str, float | int]  # the true effect of the success plan (see truth.py)
    # account, day, p: every renewal date of a paying customer and its true churn probability
    # there (the oracle the churn models are judged against; the budget cut, a random draw,
    # enters as its expectation)
    churn_risk: dict[str, NDArray[np.generic]] = field(default_factory=dict)
    play_day: I64 = field(default_factory=lambda: np.zeros(0, dtype=np.int64))  # churn play:
    # the day each account was treated (-1: not treated; empty: no churn play)
    # the churn play's true effect on churn within 90 days of the firing (see ChurnPlay)
    play_effect: dict[str, float | int] = field(default_factory=dict)


def simulate_world(
    seed: int, company: Company, needs: Needs, window: Window, churn_play: ChurnPlay | None = None
) -> World:
    """Run the accounts through the window month by month (vectorized over accounts).

    ``churn_play`` draws from its own stream: without it the world is the same, draw for draw.
    """
    rng = stream(seed, "world")
    n, months = company.n, window.months
    seg, mu = company.segment, company.mu
    is_new = company.created_day >= window.start_day
    created_m = window.month_of(company.created_day)
    t_month = months // 2

    health = np.full((n, months), np.nan)
    health_cf = np.full((n, months), np.nan)
    seats_m = np.zeros((n, months), dtype=np.int64)
    plan_m = np.full((n, months), -1, dtype=np.int64)
    incidents = np.zeros((n, months), dtype=np.bool_)

    x = np.zeros(n)
    exists = ~is_new
    status = np.where(is_new, NONE, ACTIVE).astype(np.int64)
    anchor = company.paid_start.copy()
    cur_start = np.where(is_new, company.created_day, company.paid_start)
    cur_plan = company.plan0.copy()
    cur_seats = np.where(is_new, TRIAL_SEATS, company.seats0).astype(np.int64)
    cur_mrr = np.where(is_new, 0.0, price(cur_plan, cur_seats, company.currency))
    term = company.term_months
    monthly = term == 1
    cur_contract = np.full(n, -1, dtype=np.int64)
    contracts, ended = Rows(), Rows()
    opened = [0]
    life = np.full((n, 4), NEVER, dtype=np.int64)
    life[:, 0] = np.where(is_new, company.created_day, company.paid_start)
    champion_left = np.full(n, -1, dtype=np.int64)
    churn_day = np.full(n, -1, dtype=np.int64)
    react_day = np.full(n, -1, dtype=np.int64)
    flags = np.zeros(n, dtype=np.int64)
    eligible = np.zeros(n, dtype=np.bool_)
    treated = np.zeros(n, dtype=np.bool_)
    treat_day = np.full(n, -1, dtype=np.int64)
    p_first = np.full(n, np.nan)
    p_first_cf = np.full(n, np.nan)
    churn_first = np.zeros(n, dtype=np.bool_)
    churn_first_cf = np.zeros(n, dtype=np.bool_)
    subs, renewals, changes, risk = Rows(), Rows(), Rows(), Rows()
    play_day = np.full(n, -1, dtype=np.int64)
    # the treated accounts' chance to stay through the play's 90 days, without and with it
    stay_without, stay_with = np.ones(n), np.ones(n)

    def close(mask: B, end: I64, code: int) -> None:
        idx = np.flatnonzero(mask)
        subs.add(
            account=idx,
            start=cur_start[idx],
            end=end[idx],
            plan=cur_plan[idx],
            seats=cur_seats[idx],
            mrr=cur_mrr[idx],
            status=np.full(len(idx), code),
            contract=cur_contract[idx],
        )

    def sign(mask: B, start: I64) -> None:
        """New contracts from ``start`` (a first paid day or a win-back)."""
        idx = np.flatnonzero(mask)
        cur_contract[idx] = opened[0] + np.arange(len(idx))
        opened[0] += len(idx)
        contracts.add(account=idx, start=start[idx])

    sign(~is_new, company.paid_start)

    for m in range(months):
        ms, me = int(window.bounds[m]), int(window.bounds[m + 1])
        new = is_new & (created_m == m)
        eps = rng.normal(size=n)
        if m == 0:
            x = np.where(exists, mu + eps * SIGMA / np.sqrt(1 - PHI**2), x)
        else:
            x = np.where(exists, mu + PHI * (x - mu) + SIGMA * eps, x)
        x = np.where(new, mu - 0.2 + 0.5 * eps, x)
        exists = exists | new
        status[new] = TRIAL
        customer = (status == TRIAL) | (status == ACTIVE)

        day = rng.integers(ms, me, n)
        champ = (status == ACTIVE) & (champion_left < 0) & (rng.random(n) < CHAMPION_LEFT_P)
        champion_left[champ] = day[champ]
        inc = customer & (rng.random(n) < np.array(INCIDENT_P)[seg])
        incidents[:, m] = inc
        x = x - CHAMPION_SHOCK * champ - INCIDENT_SHOCK * inc
        boost = np.where(treated & (m > t_month), TREATMENT_DELTA, 0.0)
        z = x + boost
        health_cf[:, m] = np.where(exists, sigmoid(x), np.nan)
        health[:, m] = np.where(exists, sigmoid(z), np.nan)
        h = health[:, m]
        if churn_play is not None and m == churn_play.month:
            pick = stream(seed, "plays", "churn").random(n) < churn_play.share
            play_day[(status == ACTIVE) & pick] = ms

        # trials convert on their paid start
        conv = (status == TRIAL) & (company.paid_start < me)
        status[conv] = ACTIVE
        sign(conv, company.paid_start)
        anchor[conv] = company.paid_start[conv]
        cur_start[conv] = company.paid_start[conv]
        cur_seats[conv] = company.seats0[conv]
        cur_mrr[conv] = price(cur_plan, cur_seats, company.currency)[conv]

        # renewal dates of the current contract (every month for month-to-month ones);
        # churn happens only here
        k = months_between(anchor, np.full(n, ms))
        r = add_months(anchor, k)
        renew = (status == ACTIVE) & (k > 0) & (k % term == 0) & (r < me)
        recent_champ = (champion_left >= 0) & (champion_left <= r) & (r - champion_left <= 365)
        recent_inc = incidents[:, max(0, m - 5) : m + 1].any(axis=1)
        budget = rng.random(n) < np.where(monthly, BUDGET_CUT_P / 12, BUDGET_CUT_P)
        low = h < 0.4
        unmet = company.needs_segment == needs.underserved
        driver = np.stack([low, recent_champ, recent_inc, budget, unmet], axis=1)
        base = np.where(monthly, CHURN_BASE_MONTHLY + CHURN_EARLY * (k <= 3), CHURN_BASE)
        logit = base + np.array(CHURN_BY_SEGMENT)[seg] - CHURN_HEALTH * z
        logit = logit + driver.astype(np.float64) @ np.array(DRIVER_WEIGHTS)
        u = rng.random(n)
        # the churn play: a renewal date in its 90 days, whether or not the account is still
        # a customer there (its chance to stay is computed along the health path)
        in_play = (play_day >= 0) & (r >= play_day) & (r < play_day + PLAY_CHURN_DAYS)
        in_play = in_play & (k > 0) & (k % term == 0) & (r < me)
        extra = np.where(in_play, churn_play.delta if churn_play is not None else 0.0, 0.0)
        churn = renew & (u < np.minimum(sigmoid(logit) + extra, 1.0))
        b_p = np.where(monthly, BUDGET_CUT_P / 12, BUDGET_CUT_P)
        no_cut = logit - DRIVER_WEIGHTS[3] * budget
        p_true = _expected(no_cut, b_p, extra)
        stay_without[in_play] *= 1 - _expected(no_cut, b_p, np.zeros(n))[in_play]
        stay_with[in_play] *= 1 - p_true[in_play]
        risk.add(account=np.flatnonzero(renew), day=r[renew], p=p_true[renew])
        first = renew & treated & (m > t_month) & np.isnan(p_first)
        p_first[first] = np.minimum(sigmoid(logit) + extra, 1.0)[first]
        p_first_cf[first] = np.minimum(sigmoid(logit + CHURN_HEALTH * boost) + extra, 1.0)[first]
        churn_first[first] = churn[first]
        churn_first_cf[first] = (u < p_first_cf)[first]
        told = renew & (~monthly | churn)
        renewals.add(account=np.flatnonzero(told), day=r[told], churned=churn[told])
        close(churn, r, SUB_CHURNED)
        status[churn] = CHURNED
        churn_day[churn] = r[churn]
        flags[churn] = (driver[churn] * (1 << np.arange(len(DRIVERS)))).sum(axis=1)
        ended.add(contract=cur_contract[churn], day=r[churn], flags=flags[churn])
        second = churn & (react_day >= 0)
        life[churn & ~second, 1] = r[churn & ~second]
        life[second, 3] = r[second]

        # mid-term changes: end one row and start another the same day
        lo = np.maximum(cur_start + 1, ms)
        can = (status == ACTIVE) & (lo < me)
        cday = lo + np.floor(rng.random(n) * np.maximum(me - lo, 1)).astype(np.int64)
        p = np.stack(
            [
                0.035 * (0.3 + 1.4 * h),
                0.025 * (1.6 - 1.4 * h),
                np.where(cur_plan < 2, 0.006 * (0.2 + 1.6 * h), 0.0),
                np.where(cur_plan > 0, 0.004 * (1.8 - 1.6 * h), 0.0),
            ],
            axis=1,
        )
        kind = (rng.random(n)[:, None] > np.cumsum(np.nan_to_num(p), axis=1)).sum(axis=1)
        grow = rng.uniform(1.1, 1.5, n)
        new_seats = np.where(kind == 0, np.ceil(cur_seats * grow), cur_seats)
        new_seats = np.where(kind == 1, np.floor(cur_seats * (grow - 0.5)), new_seats)
        new_seats = np.maximum(new_seats, 1).astype(np.int64)
        new_plan = cur_plan + (kind == 2) - (kind == 3)
        change = can & (kind < 4) & ((new_seats != cur_seats) | (new_plan != cur_plan))
        close(change, cday, SUB_ENDED)
        changes.add(account=np.flatnonzero(change), day=cday[change], kind=kind[change])
        cur_start[change] = cday[change]
        cur_seats[change] = new_seats[change]
        cur_plan[change] = new_plan[change]
        cur_mrr[change] = price(cur_plan, cur_seats, company.currency)[change]

        # some churned customers come back once, on a new contract
        back = (
            (status == CHURNED)
            & (react_day < 0)
            & (ms - churn_day >= 90)
            & (rng.random(n) < REACTIVATION_P * (0.5 + np.nan_to_num(h)))
        )
        rday = rng.integers(ms, me, n)
        status[back] = ACTIVE
        sign(back, rday)
        react_day[back] = rday[back]
        anchor[back] = rday[back]
        cur_start[back] = rday[back]
        cur_seats[back] = np.maximum(1, np.round(cur_seats * 0.8)).astype(np.int64)[back]
        cur_mrr[back] = price(cur_plan, cur_seats, company.currency)[back]
        life[back, 2] = rday[back]

        if m == t_month and m > 0:
            at_risk = health[:, m - 1] < TREATMENT_THRESHOLD
            eligible = (status == ACTIVE) & np.nan_to_num(at_risk).astype(np.bool_)
            treated = eligible & (rng.random(n) < TREATMENT_SHARE)
            treat_day = np.where(treated, rng.integers(ms, me, n), -1)

        now_customer = customer | (status == TRIAL) | (status == ACTIVE)
        seats_m[:, m] = np.where(now_customer, cur_seats, 0)
        plan_m[:, m] = np.where(now_customer, cur_plan, -1)

    close(status == ACTIVE, np.full(n, NEVER), SUB_ACTIVE)
    trial = status == TRIAL
    cur_start[trial] = company.created_day[trial]
    close(trial, np.full(n, NEVER), SUB_TRIALING)

    columns = ("account", "start", "end", "plan", "seats", "mrr", "status", "contract")
    rows = {k: subs.get(k) for k in columns}
    order = np.lexsort((rows["start"], rows["account"]))
    signed = _contracts(contracts, ended, company.contract_kind)
    # number contracts by account and start; subscription rows follow
    renumber = np.empty(len(signed["account"]), dtype=np.int64)
    by_account = np.lexsort((signed["start"], signed["account"]))
    renumber[by_account] = np.arange(len(by_account))
    signed = {k: v[by_account] for k, v in signed.items()}
    of_row = rows["contract"].astype(np.int64)
    rows["contract"] = np.where(of_row >= 0, renumber[np.maximum(of_row, 0)], -1)
    after = (np.arange(months) > t_month)[None, :] & treated[:, None] & ~np.isnan(health)
    has_renewal = ~np.isnan(p_first)

    def mean_delta(mask: B) -> float:
        return float(np.mean((p_first - p_first_cf)[mask])) if mask.any() else 0.0

    effect: dict[str, float | int] = {
        "health_logit_delta": TREATMENT_DELTA,
        "mean_health_delta_treated": float(np.mean((health - health_cf)[after]))
        if after.any()
        else 0.0,
        "churn_probability_delta_first_renewal": float(np.mean((p_first - p_first_cf)[has_renewal]))
        if has_renewal.any()
        else 0.0,
        # the first renewal date after the treatment month: the next monthly anniversary of
        # a month-to-month contract, the end of the running term of a term contract
        "churn_probability_delta_first_renewal_month_to_month": mean_delta(has_renewal & monthly),
        "churn_probability_delta_first_renewal_term": mean_delta(has_renewal & ~monthly),
        "treated_with_renewal_after_treatment": int(has_renewal.sum()),
        "churned_at_first_renewal_treated": int(churn_first[has_renewal].sum()),
        "churned_at_first_renewal_counterfactual": int(churn_first_cf[has_renewal].sum()),
    }
    return World(
        window=window,
        company=company,
        needs=needs,
        health=health,
        health_cf=health_cf,
        seats=seats_m,
        plan=plan_m,
        incidents=incidents,
        life=life,
        subs={k: v[order] for k, v in rows.items()},
        contracts=signed,
        renewals={k: renewals.get(k) for k in ("account", "day", "churned")},
        changes={k: changes.get(k) for k in ("account", "day", "kind")},
        reactivation_day=react_day,
        churn_day=churn_day,
        churned=status == CHURNED,
        driver_flags=flags,
        champion_left_day=champion_left,
        eligible=eligible,
        treated=treated,
        treatment_day=treat_day,
        treatment_month=t_month,
        effect=effect,
        churn_risk={k: risk.get(k) for k in ("account", "day", "p")},
        play_day=play_day if churn_play is not None else np.zeros(0, dtype=np.int64),
        play_effect=_play_effect(churn_play, play_day, stay_without, stay_with),
    )


def _expected(no_cut: F64, cut_p: F64, add: F64) -> F64:
    """The churn probability at a renewal with the budget cut as its expectation (``add``:
    a churn play's change, capped at 1)."""
    cut = np.minimum(sigmoid(no_cut + DRIVER_WEIGHTS[3]) + add, 1.0)
    return np.asarray((1 - cut_p) * np.minimum(sigmoid(no_cut) + add, 1.0) + cut_p * cut)


def _play_effect(
    play: ChurnPlay | None, day: I64, stay_without: F64, stay_with: F64
) -> dict[str, float | int]:
    """The churn play's truth: its stated change of the churn probability at a renewal date,
    and the mean change of the chance to churn within 90 days over the treated accounts."""
    if play is None:
        return {}
    treated = day >= 0
    delta = float(np.mean((stay_without - stay_with)[treated])) if treated.any() else 0.0
    return {
        "churn_probability_delta_at_renewal": play.delta,
        "churn_90d": delta,
        "treated": int(treated.sum()),
    }


def _contracts(opened: Rows, ended: Rows, kind: I64) -> dict[str, NDArray[np.generic]]:
    """Every signed contract, in signing order: account, start, kind, churn day and flags."""
    account = opened.get("account").astype(np.int64)
    count = len(account)
    churn_day = np.full(count, -1, dtype=np.int64)
    churn_flags = np.full(count, -1, dtype=np.int64)
    which = ended.get("contract").astype(np.int64)
    churn_day[which] = ended.get("day")
    churn_flags[which] = ended.get("flags")
    return {
        "account": account,
        "start": opened.get("start").astype(np.int64),
        "kind": kind[account],
        "churn_day": churn_day,
        "churn_flags": churn_flags,
    }
