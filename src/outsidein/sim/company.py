"""The customer base: firmographics, CSMs and each account's latent health level.

Everything here is fixed for an account's life; what changes month to month lives in
``world``. Attributes are arrays indexed by account number so later stages stay vectorized.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from numpy.typing import NDArray

from outsidein.sim import names as nm
from outsidein.sim.calendar import US_PER_DAY, US_PER_HOUR, Window
from outsidein.sim.catalog import CONTRACT_KINDS, CONTRACT_MIX, SEGMENTS, TRIAL_DAYS
from outsidein.sim.needs import Needs
from outsidein.sim.streams import stream

I64 = NDArray[np.int64]
F64 = NDArray[np.float64]
B = NDArray[np.bool_]

SEGMENT_SHARES = (0.55, 0.33, 0.12)
EMPLOYEES = ((10, 200), (200, 2_000), (2_000, 50_000))
SEATS = ((3, 25), (15, 150), (60, 800))
PLAN_MIX = ((0.75, 0.25, 0.0), (0.1, 0.8, 0.1), (0.0, 0.15, 0.85))
HEALTH_BY_SEGMENT = (-0.25, 0.0, 0.25)


@dataclass(frozen=True)
class Company:
    """Static attributes of every account (index = account number) and of the CSM team."""

    account_ids: pa.StringArray
    names: pa.StringArray
    domains: pa.StringArray
    segment: I64
    industry: I64
    region: I64
    employees: I64
    currency: I64
    created_us: I64
    created_day: I64
    paid_start: I64  # first paid day (trial start + TRIAL_DAYS)
    parent: I64  # -1 when not a subsidiary
    csm: I64
    csm_overloaded: B
    plan0: I64
    seats0: I64
    contract_kind: I64  # index into catalog.CONTRACT_KINDS, kept on a win-back
    needs_segment: I64
    mu: F64  # long-run latent health (logit) the account reverts to
    csm_ids: pa.StringArray
    csm_names: pa.StringArray
    csm_capacity: I64

    @property
    def n(self) -> int:
        return len(self.segment)

    @property
    def term_months(self) -> I64:
        """Each account's contract term (1: month-to-month)."""
        return np.array([t for t, _ in CONTRACT_KINDS], dtype=np.int64)[self.contract_kind]

    def accounts_table(self) -> pa.Table:
        parent = pc.take(self.account_ids, pa.array(np.where(self.parent < 0, 0, self.parent)))
        parent = pc.if_else(pa.array(self.parent < 0), pa.scalar(None, pa.string()), parent)
        return pa.table(
            {
                "account_id": self.account_ids,
                "name": self.names,
                "parent_account_id": parent,
                "industry": pa.array(list(nm.INDUSTRIES)).take(pa.array(self.industry)),
                "segment": pa.array(SEGMENTS).take(pa.array(self.segment)),
                "region": pa.array(nm.REGIONS).take(pa.array(self.region)),
                "employees": pa.array(self.employees, pa.int32()),
                "csm_id": self.csm_ids.take(pa.array(self.csm)),
                "created_at": pa.array(self.created_us.astype("datetime64[us]")),
            }
        )

    def csms_table(self) -> pa.Table:
        emails = pc.utf8_lower(pc.replace_substring(self.csm_names, " ", "."))
        emails = pc.binary_join_element_wise(emails, "@" + nm.VENDOR_DOMAIN, "")
        return pa.table(
            {
                "csm_id": self.csm_ids,
                "name": self.csm_names,
                "email": emails,
                "capacity": pa.array(self.csm_capacity, pa.int32()),
            }
        )


def _log_uniform(rng: np.random.Generator, bounds: I64, segment: I64) -> I64:
    lo = np.log(bounds[segment, 0])
    hi = np.log(bounds[segment, 1])
    return np.asarray(np.round(np.exp(rng.uniform(lo, hi))), dtype=np.int64)


def _people(rng: np.random.Generator, n: int) -> pa.StringArray:
    first = pa.array(nm.FIRST_NAMES).take(pa.array(rng.integers(0, len(nm.FIRST_NAMES), n)))
    last = pa.array(nm.LAST_NAMES).take(pa.array(rng.integers(0, len(nm.LAST_NAMES), n)))
    out: pa.StringArray = pc.binary_join_element_wise(first, last, " ")
    return out


def _names(rng: np.random.Generator, industry: I64) -> tuple[list[str], list[str], list[str]]:
    """Readable company names (base, legal form) and domains; a numeral resolves collisions."""
    n = len(industry)
    pre = rng.integers(0, len(nm.NAME_PREFIXES), n)
    core = rng.integers(0, len(nm.NAME_CORES), n)
    noun = rng.integers(0, 4, n)
    legal = rng.integers(0, len(nm.LEGAL_FORMS), n)
    nouns = list(nm.INDUSTRIES.values())
    bases: list[str] = []
    forms: list[str] = []
    domains: list[str] = []
    seen: dict[str, int] = {}
    for i in range(n):
        brand = nm.NAME_PREFIXES[pre[i]] + nm.NAME_CORES[core[i]]
        word = nouns[industry[i]][noun[i]]
        base = f"{brand} {word}"
        count = seen.get(base, 0) + 1
        seen[base] = count
        if count > 1:
            base = f"{base} {count}"
        bases.append(base)
        forms.append(nm.LEGAL_FORMS[legal[i]])
        domains.append(base.lower().replace(" ", "-") + ".example")
    return bases, forms, domains


def make_company(seed: int, n: int, window: Window, needs: Needs) -> Company:
    """Draw ``n`` accounts: some customers before the window, the rest signing up during it."""
    rng = stream(seed, "company")
    segment = rng.choice(3, size=n, p=SEGMENT_SHARES)
    industry = rng.integers(0, len(nm.INDUSTRIES), n)
    region = rng.choice(len(nm.REGIONS), size=n, p=nm.REGION_SHARES)
    employees = _log_uniform(rng, np.array(EMPLOYEES), segment)
    emea = region == nm.REGIONS.index("EMEA")
    currency = np.where(emea, rng.choice(3, size=n, p=(0.4, 0.4, 0.2)), 0)

    # Customers before the window signed up up to four years earlier; the others sign up
    # evenly over the window (a growing company).
    new_share = float(np.clip(window.months / 48, 0.1, 0.6))
    is_new = rng.random(n) < new_share
    start, end = window.start_day, window.end_day
    old_day = rng.integers(start - 4 * 365, start - 30, n)
    new_day = rng.integers(start, end, n)
    created_day = np.where(is_new, new_day, old_day).astype(np.int64)
    order = np.argsort(created_day, kind="stable")  # account numbers follow sign-up order
    segment, industry, region, employees, currency, created_day = (
        a[order] for a in (segment, industry, region, employees, currency, created_day)
    )
    shift = np.array(nm.REGION_UTC_SHIFT_HOURS)[region]
    hour = (rng.uniform(9, 17, n) + shift) % 24
    created_us = created_day * US_PER_DAY + (hour * US_PER_HOUR).astype(np.int64)
    created_us = np.minimum(created_us, window.end_us - 1)

    plan_draw = rng.random(n)
    mix = np.cumsum(np.array(PLAN_MIX), axis=1)[segment]
    plan0 = (plan_draw[:, None] > mix).sum(axis=1).astype(np.int64)
    seats0 = _log_uniform(rng, np.array(SEATS), segment)
    kind_mix = np.cumsum(np.array(CONTRACT_MIX), axis=1)[segment]
    contract_kind = (rng.random(n)[:, None] > kind_mix).sum(axis=1).astype(np.int64)
    contract_kind = np.minimum(contract_kind, len(CONTRACT_KINDS) - 1)
    needs_segment = rng.choice(needs.count, size=n, p=needs.shares)

    # Subsidiaries: a few mid-market/enterprise accounts belong to an older enterprise.
    parent = np.full(n, -1, dtype=np.int64)
    enterprise = np.flatnonzero(segment == 2)
    candidates = np.flatnonzero((segment >= 1) & (rng.random(n) < 0.03))
    for child in candidates:
        older = enterprise[enterprise < child]
        if len(older):
            parent[child] = older[rng.integers(0, len(older))]

    # CSMs: about one per 60 accounts, assigned in proportion to capacity, so some books
    # end up over capacity (which costs those accounts some health).
    n_csms = max(1, round(n / 60))
    capacity = rng.choice(np.array([40, 50, 60, 70, 80]), size=n_csms)
    csm = rng.choice(n_csms, size=n, p=capacity / capacity.sum())
    load = np.bincount(csm, minlength=n_csms)
    overloaded = (load > capacity)[csm]

    mu = (
        0.9
        + np.array(HEALTH_BY_SEGMENT)[segment]
        + needs.health_offset[needs_segment]
        - 0.35 * overloaded
        + rng.normal(0.0, 0.55, n)
    )
    bases, forms, domains = _names(rng, industry)
    for child in np.flatnonzero(parent >= 0):
        suffix = nm.SUBSIDIARY_SUFFIXES[rng.integers(0, len(nm.SUBSIDIARY_SUFFIXES))]
        bases[child] = f"{bases[parent[child]]} {suffix}"
        domains[child] = domains[parent[child]]
    names = [f"{b} {f}" for b, f in zip(bases, forms, strict=True)]
    width = max(6, len(str(n)))
    return Company(
        account_ids=pa.array([f"ACC-{i + 1:0{width}d}" for i in range(n)], pa.string()),
        names=pa.array(names, pa.string()),
        domains=pa.array(domains, pa.string()),
        segment=segment,
        industry=industry,
        region=region,
        employees=employees,
        currency=currency,
        created_us=created_us,
        created_day=created_day,
        paid_start=created_day + TRIAL_DAYS,
        parent=parent,
        csm=csm,
        csm_overloaded=overloaded,
        plan0=plan0,
        seats0=seats0,
        contract_kind=contract_kind,
        needs_segment=needs_segment,
        mu=mu,
        csm_ids=pa.array([f"CSM-{i + 1:03d}" for i in range(n_csms)], pa.string()),
        csm_names=_people(rng, n_csms),
        csm_capacity=capacity.astype(np.int64),
    )
