"""Teams: a name, its members in round-robin order, and its lead (who escalations go to).

Members and the lead are CSM ids (or user names). :class:`RoundRobin` hands out a team's
members in turn across runs: the next position is stored with the team.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime

import duckdb

from outsidein.errors import InvalidRequestError, NotFoundError
from outsidein.store import audit

__all__ = ["RoundRobin", "Team", "delete_team", "get_team", "list_teams", "set_team", "team_of"]

_NAME = re.compile(r"^[A-Za-z0-9_ -]{1,60}$")


@dataclass(frozen=True)
class Team:
    name: str
    lead: str | None
    members: list[str]
    next_index: int
    updated_at: datetime


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def list_teams(con: duckdb.DuckDBPyConnection) -> list[Team]:
    rows = con.execute(
        "SELECT name, lead, members, next_index, updated_at FROM teams ORDER BY name"
    ).fetchall()
    return [Team(r[0], r[1], list(r[2]), r[3], r[4]) for r in rows]


def get_team(con: duckdb.DuckDBPyConnection, name: str) -> Team:
    found = [t for t in list_teams(con) if t.name.lower() == name.lower()]
    if not found:
        known = ", ".join(t.name for t in list_teams(con)) or "none yet"
        raise NotFoundError(f"no team {name!r}; teams: {known}", team=name)
    return found[0]


def set_team(
    con: duckdb.DuckDBPyConnection, name: str, members: list[str], lead: str | None, actor: str
) -> Team:
    """Create or replace a team (members in round-robin order); audited as ``team.set``."""
    if not _NAME.match(name):
        raise InvalidRequestError(f"team name {name!r}: letters, digits, space, - and _ (1-60)")
    members = [m.strip() for m in members if m.strip()]
    if len(set(m.lower() for m in members)) != len(members):
        raise InvalidRequestError(f"team {name!r}: a member is listed twice: {members}")
    con.execute("BEGIN TRANSACTION")
    try:
        con.execute(
            "INSERT INTO teams VALUES (?, ?, ?, 0, ?) ON CONFLICT (name) DO UPDATE SET "
            "lead = excluded.lead, members = excluded.members, next_index = 0, "
            "updated_at = excluded.updated_at",
            [name, lead or None, members, _now()],
        )
        audit.record(con, actor=actor, action="team.set", target=name,
                     detail={"members": members, "lead": lead})  # fmt: skip
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    return get_team(con, name)


def delete_team(con: duckdb.DuckDBPyConnection, name: str, actor: str) -> None:
    team = get_team(con, name)
    con.execute("DELETE FROM teams WHERE name = ?", [team.name])
    audit.record(con, actor=actor, action="team.delete", target=team.name)


def team_of(teams: list[Team], member: str | None) -> Team | None:
    """The first team (by name) that ``member`` belongs to or leads."""
    if not member:
        return None
    low = member.lower()
    for team in teams:
        if low in (m.lower() for m in team.members):
            return team
    return None


class RoundRobin:
    """Hands out each team's members in turn; :meth:`save` stores where each team is."""

    def __init__(self, con: duckdb.DuckDBPyConnection) -> None:
        self.teams = {t.name.lower(): t for t in list_teams(con)}
        self.position = {k: t.next_index for k, t in self.teams.items()}

    def pick(self, team: str) -> tuple[str | None, str]:
        """(the next member, or None for an empty or unknown team; the team's spelling)."""
        key = team.lower()
        if key not in self.teams:
            return None, team  # not defined (yet): the task waits in the success queue
        found = self.teams[key]
        if not found.members:
            return None, found.name
        i = self.position[key] % len(found.members)
        self.position[key] = i + 1
        return found.members[i], found.name

    def save(self, con: duckdb.DuckDBPyConnection) -> None:
        rows = [(self.position[k] % max(1, len(t.members)), t.name)
                for k, t in self.teams.items() if self.position[k] != t.next_index]  # fmt: skip
        if rows:
            con.executemany("UPDATE teams SET next_index = ? WHERE name = ?", rows)
