"""The outcome-statement linter's verdicts on a table of good and bad statements, and the
parts it reads (docs/jobs.md#linter)."""

from __future__ import annotations

import pytest

from outsidein.jobs.statements import lint, parse
from outsidein.sim.catalog import flat_outcomes

TABLE: list[tuple[str, set[str]]] = [
    ("Minimize the time it takes to confirm that a renewal quote is correct", set()),
    ("Minimize the likelihood of reporting a metric nobody acts on", set()),
    ("Increase the likelihood that stakeholders understand the results", set()),
    ("Minimize the number of manual copy-and-paste steps", set()),
    ("Minimize the effort to review what worked last quarter", set()),
    ("Reduce the cost of fixing a broken workflow when a source system changes", set()),
    ("The time it takes to build a report", {"no_direction"}),
    ("Faster reports", {"no_direction", "no_metric"}),
    ("Minimize reporting errors", {"no_metric"}),
    ("Minimize the time it takes to build a report in the dashboard app", {"names_solution"}),
    ("Increase the likelihood of exporting to Excel without errors", {"names_solution"}),
    ("Minimize the time it takes to build a report using templates", {"names_solution"}),
    ("Minimize the time it takes to build a report and share it", {"two_outcomes"}),
    ("Minimize the time and the cost of onboarding a new user", {"two_outcomes"}),
    ("Minimize the time it takes to find a figure; increase the likelihood it is right",
     {"two_outcomes"}),
    ("Have a Slack bot send the report", {"no_direction", "no_metric", "names_solution"}),
]  # fmt: skip


@pytest.mark.parametrize(("statement", "rules"), TABLE)
def test_linter_verdicts(statement: str, rules: set[str]) -> None:
    found = lint(statement)
    assert {f.rule for f in found} == rules, found
    assert all(f.reason for f in found)


def test_every_simulated_statement_is_clean() -> None:
    for _, _, statement in flat_outcomes():
        assert lint(statement) == [], statement


def test_parts() -> None:
    p = parse("Minimize the time it takes to confirm that a renewal quote is correct")
    assert (p.direction, p.metric) == ("Minimize", "the time it takes")
    assert p.object_of_control == "to confirm that a renewal quote is correct"
    assert p.clarifier is None
    q = parse("Reduce the cost of fixing a broken workflow when a source system changes")
    assert (q.direction, q.metric) == ("Reduce", "the cost")
    assert q.object_of_control == "of fixing a broken workflow"
    assert q.clarifier == "when a source system changes"
    assert parse("Faster reports") == parse("Faster reports")
    assert parse("Faster reports").direction is None
