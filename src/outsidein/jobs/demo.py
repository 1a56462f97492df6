"""The demo's outcome survey: the next wave over the whole catalog, 40 champions invited,
the invitations emailed through the outbox (logged by the demo, never sent), so the catalog
page lists a survey with its invitations and the outbox shows the emails with their links.
Nobody answers it: the landscape keeps showing the simulated waves until someone does.
"""

from __future__ import annotations

from dataclasses import dataclass

import duckdb

from outsidein.config import OutsideInConfig
from outsidein.jobs.surveys import create_survey, get_survey, invite
from outsidein.outbox.surveys import send_invitations

__all__ = ["DEMO_SURVEY", "DemoSurvey", "seed_demo_survey"]

DEMO_SURVEY = "next-wave"
INVITED = 40  # champions invited and emailed (each email renders its template: kept short)


@dataclass(frozen=True)
class DemoSurvey:
    survey_id: str
    invited: int
    emailed: int
    example_token: str | None  # one contact's link token, for the console to show


def seed_demo_survey(con: duckdb.DuckDBPyConnection, config: OutsideInConfig) -> DemoSurvey:
    """Create and send the demo's survey once (a second demo run adds nothing)."""
    if not con.execute("SELECT 1 FROM outcomes LIMIT 1").fetchall():
        return DemoSurvey(DEMO_SURVEY, 0, 0, None)
    if con.execute("SELECT 1 FROM outcome_surveys WHERE survey_id = ?", [DEMO_SURVEY]).fetchall():
        found = get_survey(con, DEMO_SURVEY)
        return DemoSurvey(DEMO_SURVEY, found.invited, 0, None)
    survey = create_survey(
        con,
        DEMO_SURVEY,
        title="How well do we help you renew and report?",
        seed=2026,
        created_by="outsidein demo",
    )
    champions = [
        r[0]
        for r in con.execute(
            "SELECT contact_id FROM contacts WHERE role = 'champion' AND email IS NOT NULL "
            "ORDER BY contact_id LIMIT ?",
            [INVITED],
        ).fetchall()
    ]
    issued = invite(con, DEMO_SURVEY, contacts=champions) if champions else []
    emailed = 0
    if config.outbox.delivery == "log":  # the demo's setting: nothing leaves the machine
        emailed = send_invitations(con, survey, issued, config)
    return DemoSurvey(DEMO_SURVEY, len(issued), emailed, issued[0].token if issued else None)
