"""The demo company's playbooks name only templates that exist, so each of their actions
reaches the outbox or the task list (a touch named `health-alert`, a template nobody
defined, was refused each time the enterprise variant fired)."""

from __future__ import annotations

import tomllib

from outsidein.config import OutsideInConfig
from outsidein.settings.playbooks import TouchAction
from outsidein.sim.settings import company_config


def test_every_touch_of_the_demo_names_an_outbox_template() -> None:
    config = OutsideInConfig.model_validate(tomllib.loads(company_config()))
    touches = [
        (book.name, action.template)
        for book in config.playbooks.playbooks
        for action in [*book.actions, *(a for acts in book.variants.values() for a in acts)]
        if isinstance(action, TouchAction)
    ]
    assert touches  # the demo exercises the outbox from a playbook
    missing = [(name, t) for name, t in touches if t not in config.outbox.templates]
    assert missing == [], f"templates: {sorted(config.outbox.templates)}"
