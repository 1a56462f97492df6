"""Custom fields in the accounts list: ``custom.<name>=<value>`` narrows it."""

from __future__ import annotations

from collections.abc import Mapping

import duckdb
from starlette.datastructures import QueryParams

from outsidein.errors import InvalidRequestError
from outsidein.store.custom_fields import fields

PREFIX = "custom."


def custom_params(query: QueryParams) -> dict[str, str]:
    """The ``custom.<name>`` parameters of a request, by field name."""
    return {k.removeprefix(PREFIX): v for k, v in query.items() if k.startswith(PREFIX)}


def custom_filter(
    cur: duckdb.DuckDBPyConnection, custom: Mapping[str, str]
) -> tuple[str, dict[str, object]]:
    """SQL (``AND ...`` over accounts ``a``) and its parameters: each field equals its value,
    ignoring case. An unknown field is refused naming the fields there are."""
    if not custom:
        return "", {}
    known = [f["name"] for f in fields(cur, "accounts")]
    sql: list[str] = []
    params: dict[str, object] = {}
    for i, (name, value) in enumerate(sorted(custom.items())):
        if name not in known:
            raise InvalidRequestError(
                f"no custom field {name!r} on accounts; "
                + (f"filter by one of: {', '.join(PREFIX + k for k in known)}" if known else
                   "no file loaded so far had one")
                , field=PREFIX + name, value=value,
            )  # fmt: skip
        sql.append(
            "AND a.account_id IN (SELECT record_id FROM custom_values WHERE entity = 'accounts' "
            f"AND name = $cf_name{i} AND lower(value) = lower($cf_value{i}))"
        )
        params[f"cf_name{i}"], params[f"cf_value{i}"] = name, value
    return " ".join(sql), params
