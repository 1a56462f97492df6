"""``--link-key SYSTEM=COLUMN``: a file that names another system's id for each row's account.

A Stripe customers export often carries the CRM's company id (``metadata.hubspot_id``); a
product's group export, the billing customer. With ``--link-key hubspot=metadata.hubspot_id``
each row's account is the one HubSpot id names (``--id-system hubspot`` resolves it through
``external_ids``), and the file's own id (what the mapping sends to ``account_id``, or the
column called so) is recorded as this file's system's id of that account (``ext:SYSTEM``, the
system of ``--id-system`` or the profile). Nothing new runs: the option rewrites the
mapping, so the usual loader, checks and rejects apply.
"""

from __future__ import annotations

from outsidein.errors import ConfigError
from outsidein.ingest.mapping import EXTERNAL_ID_PREFIX
from outsidein.settings.load import LoadSpec

__all__ = ["declare_key"]


def _targets(value: str | list[str]) -> list[str]:
    return [value] if isinstance(value, str) else list(value)


def declare_key(spec: LoadSpec, kind: str, id_system: str | None, key: str) -> tuple[LoadSpec, str]:
    """The spec and id system of a load whose ``COLUMN`` holds ``SYSTEM``'s account ids."""
    system, sep, column = key.partition("=")
    system, column = system.strip(), column.strip()
    if not sep or not system or not column:
        raise ConfigError(f"--link-key {key!r}: expected SYSTEM=COLUMN, e.g. hubspot=hubspot_id")
    mapped = dict(spec.map)
    own = [s for s, t in mapped.items() if "account_id" in _targets(t)]
    for source in own:
        kept = [t for t in _targets(mapped[source]) if t != "account_id"]
        if kind == "accounts":
            if not id_system:
                raise ConfigError(
                    f"--link-key {key}: name the file's own system with --id-system (or a "
                    "--profile), so its ids are recorded as that system's"
                )
            kept.append(EXTERNAL_ID_PREFIX + id_system)
        if kept:
            mapped[source] = kept[0] if len(kept) == 1 else kept
        else:
            del mapped[source]
    if not own and kind == "accounts" and id_system:
        mapped["account_id"] = EXTERNAL_ID_PREFIX + id_system
    mapped[column] = "account_id"
    return spec.model_copy(update={"map": mapped}), system
