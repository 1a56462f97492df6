"""Navigation entries the base layout renders."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class NavItem:
    """A link in the header; it is highlighted on every page under ``path``.

    ``reads``: the tables its pages show, so that they warn when a background step that
    writes one of them is failing or behind (the base layout's banner).
    """

    label: str
    path: str
    reads: tuple[str, ...] = ()

    def active(self, current_path: str) -> bool:
        return current_path == self.path or current_path.startswith(self.path.rstrip("/") + "/")
