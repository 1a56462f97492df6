"""What a load changes beyond its own rows, inside the load's transaction, and audited.

* ``--full-refresh``: the file is the source's whole current list of its kind. Rows of the
  kind it does not hold are never deleted: an open subscription is ended on the load's day
  (``status = ended``), a contact is flagged in ``removed_records`` (a later list holding
  it clears the flag). A row the file holds but rejected still counts as held.
* churn records end subscriptions (``[sources] churn_ends_subscriptions`` or
  ``--churn-ends-subscriptions``): each subscription open on a churn record's date (of a
  type other than ``downgrade``) ends at the first such date after its start.
* supersede (``[sources] supersede_in_family`` or ``--supersede``): a subscription that
  starts while an older one of its account and plan family runs ends the older one then.

Each change is counted in the load's result (``rows_missing``, ``notes``) and written to
the audit log with the ids it touched (the first :data:`LISTED` of them).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import duckdb

from outsidein.errors import LoadError
from outsidein.ingest.result import LoadResult
from outsidein.ingest.validate import ident
from outsidein.settings.sources import SourcesConfig
from outsidein.store import audit

__all__ = ["FULL_REFRESH_KINDS", "Reconcile"]

FULL_REFRESH_KINDS = ("subscriptions", "contacts")
LISTED = 50
# The subscriptions a churn record ends: open on its date, started on or before it.
_CHURN_ENDS = """
SELECT s.subscription_id, min(c.churned_at) AS cut
FROM subscriptions s JOIN churn_records c
  ON c.account_id = s.account_id AND c.churned_at >= s.start_date
 AND coalesce(c."type", '') <> 'downgrade'
WHERE s.end_date IS NULL OR s.end_date > c.churned_at
GROUP BY s.subscription_id
"""


@dataclass(frozen=True)
class Reconcile:
    """The reconciling options of one load (all off: the load changes only its rows)."""

    full_refresh: bool = False
    churn_ends_subscriptions: bool = False
    supersede: bool = False
    sources: SourcesConfig = field(default_factory=SourcesConfig)
    actor: str | None = None

    @classmethod
    def of(
        cls,
        config: SourcesConfig,
        *,
        full_refresh: bool = False,
        churn_ends_subscriptions: bool = False,
        supersede: bool = False,
        actor: str | None = None,
    ) -> Reconcile:
        """The options in force: the flags of this load, or the settings of [sources]."""
        return cls(
            full_refresh,
            churn_ends_subscriptions or config.churn_ends_subscriptions,
            supersede or config.supersede_in_family,
            config,
            actor,
        )

    def check(self, kind: str) -> None:
        if self.full_refresh and kind not in FULL_REFRESH_KINDS:
            raise LoadError(
                f"--full-refresh is for {' and '.join(FULL_REFRESH_KINDS)} files (the rows "
                f"a full list lacks are ended or flagged); {kind} loads add and update only"
            )

    def fingerprint(self, kind: str) -> dict[str, str]:
        """What makes the same bytes a new load (``~`` keys join the load's mapping)."""
        return {"~full_refresh": "true"} if self.full_refresh and kind in FULL_REFRESH_KINDS else {}

    def apply(
        self, con: duckdb.DuckDBPyConnection, kind: str, held: str, result: LoadResult
    ) -> None:
        """Run the options that concern ``kind``; ``held`` is a relation of every row the
        file holds (its key column named as the table's), rejected ones included."""
        if self.full_refresh and kind == "subscriptions":
            self._end_missing(con, held, result)
        if self.full_refresh and kind == "contacts":
            self._flag_missing(con, held, result)
        if self.churn_ends_subscriptions and kind in ("churn_records", "subscriptions"):
            self._churn_ends(con, result)
        if self.supersede and kind == "subscriptions":
            self._supersede(con, result)

    def _audit(
        self, con: duckdb.DuckDBPyConnection, action: str, kind: str, result: LoadResult,
        ids: list[str],
    ) -> None:  # fmt: skip
        audit.record(
            con,
            actor=self.actor,
            action=action,
            target=kind,
            detail={
                "load_id": result.load_id,
                "file": result.file,
                "rows": len(ids),
                "ids": ids[:LISTED],
            },
        )

    def _end_missing(self, con: duckdb.DuckDBPyConnection, held: str, result: LoadResult) -> None:
        rows = con.execute(
            "UPDATE subscriptions SET end_date = CAST(getvariable('oi_loaded_at') AS DATE), "
            "status = 'ended', loaded_at = getvariable('oi_loaded_at') "
            f"WHERE subscription_id NOT IN (SELECT subscription_id FROM {held} "
            "WHERE subscription_id IS NOT NULL) AND (end_date IS NULL OR "
            "end_date > CAST(getvariable('oi_loaded_at') AS DATE)) RETURNING subscription_id"
        ).fetchall()
        ids = sorted(str(r[0]) for r in rows)
        result.rows_missing += len(ids)
        if ids:
            result.notes.append(
                f"{len(ids):,} open subscription{'s' if len(ids) != 1 else ''} missing from "
                f"this full list ended today: {_listed(ids)}"
            )
            self._audit(con, "load.full_refresh", "subscriptions", result, ids)

    def _flag_missing(self, con: duckdb.DuckDBPyConnection, held: str, result: LoadResult) -> None:
        present = f"SELECT contact_id FROM {held} WHERE contact_id IS NOT NULL"
        back = con.execute(
            f"DELETE FROM removed_records WHERE kind = 'contacts' AND record_id IN ({present}) "
            "RETURNING record_id"
        ).fetchall()
        rows = con.execute(
            "INSERT INTO removed_records SELECT 'contacts', contact_id, "
            "getvariable('oi_loaded_at'), ?, ? FROM contacts WHERE contact_id NOT IN "
            f"({present}) ON CONFLICT DO NOTHING RETURNING record_id",
            [result.load_id, result.file],
        ).fetchall()
        ids = sorted(str(r[0]) for r in rows)
        result.rows_missing += len(ids)
        if ids:
            result.notes.append(
                f"{len(ids):,} contact{'s' if len(ids) != 1 else ''} missing from this full "
                f"list flagged as removed (kept, not deleted): {_listed(ids)}"
            )
            self._audit(con, "load.full_refresh", "contacts", result, ids)
        if back:
            result.notes.append(f"{len(back):,} contacts flagged as removed are listed again")

    def _churn_ends(self, con: duckdb.DuckDBPyConnection, result: LoadResult) -> None:
        rows = con.execute(
            "UPDATE subscriptions SET end_date = x.cut, status = 'churned', "
            f"loaded_at = getvariable('oi_loaded_at') FROM ({_CHURN_ENDS}) x "
            "WHERE subscriptions.subscription_id = x.subscription_id RETURNING "
            "subscriptions.subscription_id"
        ).fetchall()
        ids = sorted(str(r[0]) for r in rows)
        if ids:
            result.notes.append(
                f"{len(ids):,} subscription{'s' if len(ids) != 1 else ''} ended at "
                f"their account's churn record: {_listed(ids)}"
            )
            self._audit(con, "load.churn_ends_subscriptions", "subscriptions", result, ids)

    def _supersede(self, con: duckdb.DuckDBPyConnection, result: LoadResult) -> None:
        family = self.sources.family_sql(ident("plan"))
        following = (
            f"SELECT subscription_id, start_date, end_date, lead(start_date) OVER "
            f"(PARTITION BY account_id, {family} ORDER BY start_date, subscription_id) AS nxt "
            "FROM subscriptions"
        )
        rows = con.execute(
            "UPDATE subscriptions SET end_date = x.nxt, status = 'ended', "
            f"loaded_at = getvariable('oi_loaded_at') FROM ({following}) x "
            "WHERE subscriptions.subscription_id = x.subscription_id AND x.nxt > x.start_date "
            "AND (x.end_date IS NULL OR x.end_date > x.nxt) "
            "RETURNING subscriptions.subscription_id"
        ).fetchall()
        ids = sorted(str(r[0]) for r in rows)
        if ids:
            result.notes.append(
                f"{len(ids):,} subscription{'s' if len(ids) != 1 else ''} superseded by a "
                f"later one of the same plan family, ended at its start: {_listed(ids)}"
            )
            self._audit(con, "load.supersede", "subscriptions", result, ids)


def _listed(ids: list[str], shown: int = 5) -> str:
    more = f" and {len(ids) - shown:,} more" if len(ids) > shown else ""
    return ", ".join(ids[:shown]) + more
