"""Navigation entries the base layout renders: a row of groups, and the current group's pages.

Twenty-odd pages do not fit one row of links (they wrapped onto two on a desktop and scrolled
sideways on a phone). The header shows a handful of groups; the pages of the group you are in
show as a second row under it, so the current page's link is always visible, and every page
is two clicks from any other. A group of one page is a plain link.
"""

from __future__ import annotations

from dataclasses import dataclass

GROUPS: tuple[str, ...] = ("Customers", "Action", "Insights", "Data")
"""The header's groups, in order; an item with no group stands alone, before them."""


@dataclass(frozen=True)
class NavItem:
    """A link in the header; it is highlighted on every page under ``path``.

    ``reads``: the tables its pages show, so that they warn when a background step that
    writes one of them is failing or behind (the base layout's banner). ``group``: one of
    :data:`GROUPS`, or empty for a link of its own.
    """

    label: str
    path: str
    reads: tuple[str, ...] = ()
    group: str = ""

    def active(self, current_path: str) -> bool:
        return current_path == self.path or current_path.startswith(self.path.rstrip("/") + "/")


@dataclass(frozen=True)
class NavGroup:
    """One link of the header's first row: a group (its first page) or a page of its own."""

    label: str
    path: str
    active: bool
    items: tuple[tuple[NavItem, bool], ...]


def grouped(items: list[NavItem], current_path: str) -> list[NavGroup]:
    """The header's first row for a page at ``current_path``: lone pages, then the groups."""
    unknown = {i.group for i in items} - {"", *GROUPS}
    if unknown:
        raise ValueError(f"nav groups {sorted(unknown)} are not in GROUPS {GROUPS}")
    rows = [NavGroup(i.label, i.path, i.active(current_path), ()) for i in items if not i.group]
    for name in GROUPS:
        members = tuple((i, i.active(current_path)) for i in items if i.group == name)
        if len(members) == 1:  # a group of one page is that page's own link
            ((item, active),) = members
            rows.append(NavGroup(item.label, item.path, active, ()))
        elif members:
            rows.append(NavGroup(name, members[0][0].path, any(a for _, a in members), members))
    return rows
