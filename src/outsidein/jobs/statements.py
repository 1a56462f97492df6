"""Desired-outcome statements: their parts, and a linter that says what is wrong with one.

A statement is direction + metric + object of control + contextual clarifier:
"Minimize | the time it takes | to confirm that a renewal quote is correct | when ...". The
linter warns, with the reason, about a statement that names a solution, lacks a direction or
a metric, or packs two outcomes into one (docs/jobs.md#linter). It is a heuristic: it warns,
it never refuses.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = ["DIRECTIONS", "METRICS", "Finding", "Parts", "lint", "parse"]

DIRECTIONS = ("minimize", "maximize", "increase", "decrease", "reduce")
# Metrics, longest first so "the time it takes" wins over "the time".
METRICS = (
    "the time it takes",
    "the amount of time",
    "the likelihood",
    "the probability",
    "the number of",
    "the amount of",
    "the frequency",
    "the effort",
    "the cost",
    "the risk",
    "the chance",
    "the time",
)
CLARIFIERS = (" when ", " while ", " during ", " before ", " after ", " for each ")
# Words that name a solution (a product, a feature, a technology) instead of the need.
SOLUTIONS = (
    "app", "application", "software", "tool", "feature", "button", "dashboard", "platform",
    "plugin", "integration", "api", "ai", "chatbot", "spreadsheet", "excel", "email",
    "slack", "salesforce", "outside-in", "module", "menu", "screen", "widget", "template",
    "using", "via",
)  # fmt: skip
# Verbs that start a second task after "and" ("... build a report and share it").
VERBS = (
    "share", "send", "build", "create", "check", "confirm", "find", "fix", "connect", "review",
    "track", "notice", "agree", "gather", "define", "prepare", "monitor", "update", "report",
    "publish", "export", "import", "approve", "plan", "schedule", "decide",
)  # fmt: skip


@dataclass(frozen=True)
class Parts:
    direction: str | None
    metric: str | None
    object_of_control: str | None
    clarifier: str | None


@dataclass(frozen=True)
class Finding:
    rule: str  # no_direction, no_metric, names_solution, two_outcomes
    reason: str


def _words(text: str) -> list[str]:
    return re.findall(r"[a-z][a-z'-]*", text.lower())


def parse(statement: str) -> Parts:
    """The four parts of ``statement`` (None for a part not found)."""
    text = " ".join(statement.split())
    lower = text.lower()
    direction = None
    rest = text
    first = lower.split(" ", 1)[0] if lower else ""
    if first in DIRECTIONS:
        direction = text.split(" ", 1)[0]
        rest = text[len(direction) :].strip()
    metric = None
    for m in METRICS:
        if rest.lower().startswith(m):
            metric = rest[: len(m)]
            rest = rest[len(m) :].strip()
            break
    clarifier = None
    low = " " + rest.lower()
    cuts = [low.find(c) for c in CLARIFIERS if low.find(c) > 0]
    if cuts:
        cut = min(cuts) - 1
        rest, clarifier = rest[:cut].strip(), rest[cut:].strip()
    return Parts(direction, metric, rest or None, clarifier)


def lint(statement: str) -> list[Finding]:
    """What is wrong with ``statement``, each with its reason; empty when nothing is."""
    parts = parse(statement)
    lower = " ".join(statement.lower().split())
    words = _words(statement)
    found: list[Finding] = []
    if parts.direction is None:
        found.append(
            Finding(
                "no_direction",
                f"it should start with a direction ({', '.join(map(str.capitalize, DIRECTIONS))})",
            )
        )
    metrics = [m for m in METRICS if re.search(rf"\b{re.escape(m)}\b", lower)]
    metrics = [m for m in metrics if not any(m != o and m in o for o in metrics)]
    if not metrics:
        found.append(
            Finding(
                "no_metric",
                "it names no metric to measure (the time it takes, the likelihood, the number of, "
                "the effort, the cost ...)",
            )
        )
    named = sorted({w for w in words if w in SOLUTIONS})
    if named:
        found.append(
            Finding(
                "names_solution",
                f"it names a solution ({', '.join(named)}): state the need, not the means",
            )
        )
    directions = [w for w in words if w in DIRECTIONS]
    second_task = re.search(rf"\band (?:then )?(?:{'|'.join(VERBS)})\b", lower)
    if len(metrics) > 1 or len(directions) > 1 or second_task or ";" in lower or "and/or" in lower:
        why = (
            "two metrics" if len(metrics) > 1
            else "two directions" if len(directions) > 1
            else f"a second task ({second_task.group(0)!r})" if second_task
            else "two clauses"
        )  # fmt: skip
        found.append(Finding("two_outcomes", f"it packs two outcomes into one ({why}): split it"))
    return found
