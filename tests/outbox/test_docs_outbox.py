"""docs/outbox.md names every outbox setting, and the declared exception it relies on."""

from __future__ import annotations

from pathlib import Path

from outsidein.settings.outbox import OutboxConfig, OutboxSettings, QuietHours

DOCS = Path(__file__).parents[2] / "docs"


def test_every_outbox_setting_is_documented() -> None:
    doc = (DOCS / "outbox.md").read_text(encoding="utf-8")
    for name in OutboxSettings.model_fields:
        assert f"`OUTSIDEIN_OUTBOX_{name.upper()}`" in doc, name
    for name in OutboxConfig.model_fields:
        if name != "quiet_hours":
            assert f"`{name}" in doc, name
    for name in QuietHours.model_fields:
        assert f"quiet_hours.{name}" in doc or f".{name}`" in doc, name
    security = (DOCS / "security.md").read_text(encoding="utf-8")
    assert "`/unsubscribe/*`" in security
