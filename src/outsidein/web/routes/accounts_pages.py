"""``/accounts`` and ``/accounts/{id}``: the dashboard's account list and account page."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from outsidein import labels
from outsidein.analytics import SnapshotMissingError
from outsidein.analytics.lifecycle import STATUSES
from outsidein.auth.roles import Role
from outsidein.clv.saved import for_account as account_clv
from outsidein.health.explain import number as explain_number
from outsidein.journey import report as journey_report
from outsidein.plans import RULE as PLANS_RULE
from outsidein.plans import account_plans
from outsidein.predict import scores as predict_scores
from outsidein.tiers.read import account_tier
from outsidein.timeline import NOTE_KINDS, account_timeline
from outsidein.timeline import kinds as timeline_kinds
from outsidein.web import account_view, health_view
from outsidein.web.access import BookDep, PrincipalDep
from outsidein.web.deps import AnalyticsConfigDep as ConfigDep
from outsidein.web.deps import ConfigDep as FullConfigDep
from outsidein.web.deps import CursorDep
from outsidein.web.params import (
    CsmParam,
    PageParam,
    PageSizeParam,
    RegionParam,
    SearchParam,
    SegmentParam,
    StatusParam,
    section_pages,
)
from outsidein.web.queries.account_usage import account_usage_history, look_back
from outsidein.web.queries.accounts import (
    AccountFilters,
    Order,
    SortKey,
    choices,
    csm_names,
    get_account,
    list_accounts,
)
from outsidein.web.queries.custom_fields import custom_params
from outsidein.web.queries.figures_cache import figures_cache
from outsidein.web.queries.health import account_health
from outsidein.web.templating import templates, url_with

router = APIRouter(include_in_schema=False)
SECTION_PAGE = 25  # rows per page of each section on the account page
ON_TIMELINE = frozenset({"touchpoints", "cases", "survey_responses"})  # not listed apart

# (sort key, header label, right-aligned number, first click sorts descending)
_COLUMNS: tuple[tuple[SortKey, str, bool, bool], ...] = (
    ("name", "Account", False, False),
    ("status", "Status", False, False),
    ("industry", "Industry", False, False),
    ("segment", "Segment", False, False),
    ("region", "Region", False, False),
    ("csm_id", "CSM", False, False),
    ("mrr", "MRR", True, True),
    ("renewal_date", "Renews", False, False),
    ("open_cases", "Open cases", True, True),
    ("last_seen", "Last seen", False, True),
    ("created_at", "Customer since", False, False),
)


@dataclass(frozen=True)
class HeaderLink:
    """A sortable column header: clicking sorts by it, or flips the order if it is current."""

    key: str
    label: str
    numeric: bool
    href: str
    aria_sort: str
    arrow: str


def _headers(request: Request, sort: SortKey, order: Order) -> list[HeaderLink]:
    links = []
    for key, label, numeric, desc_first in _COLUMNS:
        current = key == sort
        if current:
            next_order = "desc" if order == "asc" else "asc"
        else:
            next_order = "desc" if desc_first else "asc"
        links.append(
            HeaderLink(
                key=key,
                label=label,
                numeric=numeric,
                href=url_with(request, sort=key, order=next_order, page=None),
                aria_sort=("ascending" if order == "asc" else "descending") if current else "none",
                arrow=("▲" if order == "asc" else "▼") if current else "",
            )
        )
    return links


@router.get("/accounts", response_class=HTMLResponse, name="accounts_page")
def accounts_page(
    request: Request,
    cur: CursorDep,
    book: BookDep,
    config: ConfigDep,
    q: SearchParam = "",
    sort: SortKey = "name",
    order: Order = "asc",
    page: PageParam = 1,
    page_size: PageSizeParam = 25,
    status: StatusParam = None,
    segment: SegmentParam = None,
    region: RegionParam = None,
    csm: CsmParam = None,
) -> Response:
    with figures_cache.one_reading(cur):  # the figures and the filter values: one reading
        result = list_accounts(
            cur,
            config,
            q=q,
            sort=sort,
            order=order,
            page=page,
            page_size=page_size,
            filters=AccountFilters(status, segment, region, book.csm(csm)),
            custom=custom_params(request.query_params),
        )
        held = choices(cur)
    pages = max(1, math.ceil(result.total / page_size))
    if page > pages:  # past the end (an old link, a shrunk search): the last page
        return RedirectResponse(url_with(request, page=pages if pages > 1 else None), 303)
    first = (page - 1) * page_size + 1 if result.items else 0
    return templates.TemplateResponse(
        request,
        "accounts.html",
        {
            "result": result,
            "q": q,
            "sort": sort,
            "order": order,
            "pages": pages,
            "first": first,
            "last": first + len(result.items) - 1 if result.items else 0,
            "headers": _headers(request, sort, order),
            "prev_url": url_with(request, page=page - 1) if page > 1 else None,
            "next_url": url_with(request, page=page + 1) if page < pages else None,
            "choices": book.choices(held),
            "statuses": STATUSES,
            "labels": {v: labels.label(v) for v in (*STATUSES, *held["segment"])},
            "csm_names": book.names(csm_names(cur)),
        },
    )


@router.get("/accounts/{account_id}", response_class=HTMLResponse, name="account_page")
def account_page(
    request: Request,
    cur: CursorDep,
    config: ConfigDep,
    full: FullConfigDep,
    principal: PrincipalDep,
    account_id: str,
    pages: Annotated[dict[str, int], Depends(section_pages)],
    tl_q: SearchParam = "",
    tl_kind: Annotated[str | None, Query(max_length=40)] = None,
    tl_page: PageParam = 1,
) -> Response:
    detail = get_account(
        cur, account_id, config, pages=pages, page_size=SECTION_PAGE, skip=ON_TIMELINE
    )
    timeline = account_timeline(
        cur, account_id, q=tl_q, kinds=tl_kind or None, page=tl_page, page_size=SECTION_PAGE
    )
    try:
        usage = account_usage_history(cur, account_id, config)
        usage_missing = None
    except SnapshotMissingError as exc:
        usage, usage_missing = None, exc.message
    card = account_health(cur, account_id, full.health)
    tier = account_tier(cur, account_id)
    tier_labels = {t.name: t.label for t in full.tiers.tiers}
    prediction = predict_scores.for_account(cur, account_id)
    return templates.TemplateResponse(
        request,
        "account.html",
        {
            "d": detail,
            "history": usage,
            "history_missing": usage_missing,
            "look_back": look_back(usage) if usage else [],
            "users_chart": account_view.users_chart(usage) if usage else None,
            "adoption_chart": account_view.adoption_chart(usage) if usage else None,
            "card": card,
            "health_chart": health_view.trend_chart(card) if card else None,
            "band_kinds": health_view.band_kinds(full.health),
            "explain_number": explain_number,
            "clv": account_clv(cur, account_id),
            "plans": account_plans(cur, account_id),
            "plans_rule": PLANS_RULE,
            "journey": journey_report.account_report(cur, full.journey, account_id),
            "tier": tier,
            "tier_label": tier_labels.get(tier.tier or "", tier.tier),
            "tl": timeline,
            "tl_kind": tl_kind or "",
            "timeline_kinds": timeline_kinds(),
            "note_kinds": NOTE_KINDS,
            "can_write": principal.allows(Role.CSM),
            "prediction": prediction,
            "predict_trend": [t for t in prediction.trend if t["target"] == "churn"][-8:],
        },
    )
