"""docs/team.md cannot go stale: every API route, CLI command and response field is in it."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from outsidein.cli import app as cli
from outsidein.cli.team import team_app
from outsidein.web.routes.team import router
from outsidein.web.schemas.team import BookOut

DOC = (Path(__file__).parents[2] / "docs" / "team.md").read_text(encoding="utf-8")


def test_every_route_and_command_is_documented() -> None:
    paths = [getattr(route, "path", "") for route in router.routes]
    assert paths
    for path in paths:
        assert f"`GET /api/v1{path}" in DOC, path
    assert CliRunner().invoke(cli, ["team", "--help"]).exit_code == 0
    commands = [c.name for c in team_app.registered_commands]
    assert commands
    for command in commands:
        assert f"outsidein team {command}" in DOC, command


def test_every_figure_of_a_book_is_described() -> None:
    words = {"mrr": "MRR", "arr": "ARR", "health": "health mix", "tiers": "tier",
             "open_tasks": "open", "overdue_tasks": "overdue", "renewals": "renewals",
             "renewal_arr": "renewals", "load": "load", "utilisation": "utilisation",
             "after": "`after`", "capacity": "capacity", "over": "over capacity",
             "accounts": "customers", "csm_id": "CSM", "name": "name"}  # fmt: skip
    assert set(words) == set(BookOut.model_fields)
    for field, word in words.items():
        assert word in DOC, field
