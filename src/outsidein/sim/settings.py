"""The simulated company's own ``outsidein.toml``: what its data needs to be read right.

Its subscriptions are priced in USD, EUR and GBP, and its product has a value event and key
features; the analytics need both, so the simulator writes them beside the data, with the
health scorecard the demo scores its accounts by.
"""

from __future__ import annotations

from pathlib import Path

import tomli_w

from outsidein.settings.health import DEFAULT_SCORECARD
from outsidein.sim.catalog import CURRENCIES, FEATURES, FX

VALUE_EVENT = "Report Shared"
CONFIG_FILE = "outsidein.toml"


def company_config() -> str:
    """TOML text of the analytics settings matching the simulated company."""
    rates = "\n".join(
        f"{code} = {1 / per_usd:.6f}"
        for code, per_usd in zip(CURRENCIES, FX, strict=True)
        if code != "USD"
    )
    key_features = ", ".join(f'"{name}"' for name, _, delay in FEATURES if delay >= 0)
    return (
        "# Settings for the simulated company (written by `outsidein simulate`).\n"
        "[analytics]\n"
        'reporting_currency = "USD"\n'
        f'value_event = "{VALUE_EVENT}"\n'
        f"key_features = [{key_features}]\n\n"
        "[analytics.currency_rates]  # USD per unit of each currency, as the list prices use\n"
        f"{rates}\n\n"
        "# The health scorecard (docs/health.md): the shipped default, written out to be edited.\n"
        + tomli_w.dumps({"health": {"scorecards": {"default": DEFAULT_SCORECARD}}})
        + "\n# The outbox (docs/outbox.md): the demo logs its messages, it never sends mail;\n"
        "# one email a week per contact, so its second check-in waits (the frequency cap).\n"
        '[outbox]\ndelivery = "log"\ncap_messages = 1\ncap_period_hours = 168\n'
        + "\n# A few playbooks (docs/playbooks.md): they open the demo's tasks.\n"
        + tomli_w.dumps({"playbooks": DEMO_PLAYBOOKS})
    )


#: The demo company's playbooks: renewals, health risk (a variant for enterprise accounts,
#: a 10 % holdout), detractors and usage drops.
DEMO_PLAYBOOKS: dict[str, object] = {
    "templates": {
        "renewal": ["Review usage and health", "Confirm the decision maker", "Send the quote"],
        "save": ["Read the health explanation", "Call the champion", "Agree a recovery plan"],
    },
    "playbooks": [
        {"name": "renewal-prep", "description": "Prepare each renewal 60 days ahead",
         "trigger": {"kind": "renewal_in", "days": 60},
         "actions": [{"kind": "task", "type": "lifecycle", "title": "Prepare the renewal",
                      "due_days": 14, "template": "renewal"}]},
        {"name": "health-risk", "description": "Accounts whose health is red",
         "trigger": {"kind": "health_below", "threshold": 40}, "cooldown_days": 30,
         "holdout": 0.1,
         "actions": [{"kind": "task", "type": "risk", "title": "Save the account",
                      "priority": "high", "due_days": 5, "template": "save"}],
         "variants": {"enterprise": [
             {"kind": "task", "type": "risk", "title": "Save the account (executive call)",
              "priority": "urgent", "due_days": 2, "template": "save"},
             {"kind": "touch", "channel": "webhook", "template": "risk_alert",
              "to": "cs-alerts"}]}},
        {"name": "detractor", "description": "Close the loop with each detractor",
         "trigger": {"kind": "survey_answer", "survey": "nps", "at_most": 6, "within_days": 90},
         "actions": [{"kind": "task", "type": "risk", "title": "Call back the detractor",
                      "priority": "high", "due_days": 2}]},
        {"name": "usage-drop", "description": "Usage fell by half over 28 days",
         "trigger": {"kind": "usage_drop", "drop": 0.5, "window": 28},
         "where": "lifecycle_status != 'churned'",
         "actions": [{"kind": "task", "type": "risk", "title": "Find out why usage fell",
                      "due_days": 7}]},
    ],
}  # fmt: skip


def write_company_config(out: Path) -> Path:
    path = out / CONFIG_FILE
    path.write_text(company_config(), encoding="utf-8")
    return path
