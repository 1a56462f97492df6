"""docs/tiers.md cannot go stale: every setting, API route and CLI command is in it."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from outsidein.cli import app as cli
from outsidein.cli.advocates import advocates_app
from outsidein.cli.tiers import tiers_app
from outsidein.settings.advocates import AdvocatesConfig
from outsidein.settings.tiers import Tier, TiersConfig
from outsidein.web.routes.tiers import router

DOC = (Path(__file__).parents[2] / "docs" / "tiers.md").read_text(encoding="utf-8")


def test_every_setting_is_documented() -> None:
    for model in (TiersConfig, Tier, AdvocatesConfig):
        for name in model.model_fields:
            assert f"| `{name}` |" in DOC, (model.__name__, name)


def test_every_route_and_command_is_documented() -> None:
    for route in router.routes:
        assert f"/api/v1{getattr(route, 'path', '')}" in DOC, route
    for group, typer_app in (("tiers", tiers_app), ("advocates", advocates_app)):
        assert CliRunner().invoke(cli, [group, "--help"]).exit_code == 0
        commands = [c.name for c in typer_app.registered_commands]
        assert commands
        for command in commands:
            assert f"outsidein {group} {command}" in DOC, (group, command)


def test_the_defaults_are_the_documented_ones() -> None:
    defaults = TiersConfig()
    for tier in defaults.tiers:
        assert f'name = "{tier.name}"' in DOC
        assert f"accounts_per_csm = {tier.accounts_per_csm:g}" in DOC
    advocates = AdvocatesConfig()
    for name, value in advocates.model_dump().items():
        assert f"| `{name}` | `{value:g}` |" in DOC, name
