"""Navigation entries the base layout renders."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class NavItem:
    """A link in the header; it is highlighted on every page under ``path``."""

    label: str
    path: str

    def active(self, current_path: str) -> bool:
        return current_path == self.path or current_path.startswith(self.path.rstrip("/") + "/")
