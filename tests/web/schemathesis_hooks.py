"""Schemathesis hooks for tests/web/test_openapi_schemathesis.py (loaded by SCHEMATHESIS_HOOKS).

The Segment timestamps are ``date-time`` in the document; their stated rule (not beyond
``store.future_tolerance_hours`` after clock-skew correction) is one no schema can say. So the
valid ones generated are from the last twelve hours: any mix of ``timestamp`` and ``sentAt``
then corrects to within the tolerance, and a refusal of one of them is a real failure.
"""

from __future__ import annotations

import base64
import os
from datetime import UTC, datetime, timedelta

import httpx
import schemathesis
from hypothesis import strategies as st

_NOW = datetime.now(UTC).replace(tzinfo=None)

schemathesis.openapi.format(
    "date-time",
    st.datetimes(min_value=_NOW - timedelta(hours=12), max_value=_NOW).map(
        lambda moment: moment.isoformat(timespec="milliseconds") + "Z"
    ),
)


@schemathesis.auth(refresh_interval=1).apply_to(path_regex="^/v1/")
class WriteKey:
    """A live write key for the ``/v1/*`` calls, made anew once the run revokes it (the
    stateful phase revokes the keys it lists, this one included)."""

    secret: str | None = None
    key_id: str | None = None

    def get(self, case: schemathesis.Case, context: schemathesis.AuthContext) -> str:
        base = os.environ["OUTSIDEIN_SCHEMATHESIS_URL"] + "/api/v1/segment/keys"
        admin = {"X-Outsidein-Token": os.environ["OUTSIDEIN_SCHEMATHESIS_TOKEN"]}
        keys = {k["key_id"]: k for k in httpx.get(base, headers=admin, timeout=30).json()}
        mine = keys.get(self.key_id or "")
        if self.secret is None or mine is None or mine["revoked_at"] is not None:
            created = httpx.post(
                base, json={"name": "schemathesis"}, headers=admin, timeout=30
            ).json()
            self.secret, self.key_id = created["secret"], created["key_id"]
        assert self.secret is not None
        return self.secret

    def set(self, case: schemathesis.Case, data: str, context: schemathesis.AuthContext) -> None:
        token = base64.b64encode(f"{data}:".encode()).decode()
        case.headers = {**(case.headers or {}), "Authorization": f"Basic {token}"}


@schemathesis.hook
def filter_failure(
    context: schemathesis.HookContext,
    failure: object,
    case: schemathesis.Case,
    response: schemathesis.Response,
) -> bool:
    """Keep every failure but one kind: a Segment event refused *only* for its dates (the
    clock-skew rule above). The coverage phase sends the document's example date-times, not
    the twelve-hour ones, and a `sentAt` 222 days before its `timestamp` is refused as it
    should be. Any other reason, status or path stays a failure."""
    if not case.operation.path.startswith("/v1/") or response.status_code != 400:
        return True
    try:
        error = response.json()["error"]
    except (ValueError, KeyError, TypeError):
        return True
    rejected = error.get("details", {}).get("rejected") or []
    dates_only = all("events are accepted from" in str(r.get("reason", "")) for r in rejected)
    return not (error.get("code") == "invalid_events" and rejected and dates_only)
