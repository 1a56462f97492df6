"""Declared keys: how a file's rows find the records another system already loaded.

``link_key`` (``--link-key`` or ``[load.KIND] link_key`` in outsidein.toml, or the upload
API's ``transforms``) takes two forms:

* ``SYSTEM=COLUMN``: the file names another system's id for each row's account. A Stripe
  customers export often carries the CRM's company id (``metadata.hubspot_id``); with
  ``hubspot=metadata.hubspot_id`` each row's account is the one HubSpot id names
  (resolved through ``external_ids`` as ``--id-system hubspot`` does), and the file's own
  id (what the mapping sends to ``account_id``) is recorded as this file's system's id of
  that account (``ext:SYSTEM``, the system of ``--id-system`` or the profile). The option
  rewrites the mapping, so the usual loader, checks and rejects apply.
* ``email`` (contacts): a row whose email (without case or spaces) is exactly one stored
  contact's is that contact; its own id is recorded as the file's system's id of it
  (``contact_external_ids``), so the cases, touchpoints and survey answers that system
  sends later land on the same person. Other rows are new contacts.
"""

from __future__ import annotations

from collections.abc import Mapping

from outsidein.errors import ConfigError
from outsidein.ingest.mapping import EXTERNAL_ID_PREFIX
from outsidein.settings.load import LoadSpec

__all__ = ["MATCH_KEYS", "apply_link_key", "declare_key"]

# The canonical columns a kind's rows may be matched on (the ``email`` form of link_key).
MATCH_KEYS: dict[str, tuple[str, ...]] = {"contacts": ("email",)}


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


def apply_link_key(
    kind: str, mapping: Mapping[str, str], spec: LoadSpec, id_system: str | None
) -> tuple[dict[str, str], LoadSpec, str | None, str | None]:
    """(mapping, spec, id system, the column rows are matched on) of a load with the spec's
    ``link_key``: a ``SYSTEM=COLUMN`` key rewrites the mapping (:func:`declare_key`), a
    column key (``email``) is returned for the load to match on."""
    key = (spec.link_key or "").strip()
    if not key:
        return dict(mapping), spec, id_system, None
    marked = {**mapping, "~link_key": key}  # a part of how the file is read (its fingerprint)
    spec = spec.model_copy(update={"link_key": None})
    if "=" not in key:
        allowed = MATCH_KEYS.get(kind, ())
        if key not in allowed:
            kinds = ", ".join(f"{k}: {', '.join(c)}" for k, c in MATCH_KEYS.items())
            raise ConfigError(
                f"link_key {key!r} on {kind}: a column key matches rows on one of ({kinds}); "
                "otherwise write SYSTEM=COLUMN, the column holding SYSTEM's account id"
            )
        if not id_system:
            raise ConfigError(
                f"link_key {key}: name the file's own system with --id-system (or a --profile), "
                "so the ids of the rows it matches are recorded as that system's"
            )
        return marked, spec, id_system, key
    whole = spec.model_copy(update={"map": {**mapping, **spec.map}})
    declared, system = declare_key(whole, kind, id_system, key)
    plain = {s: t for s, t in declared.map.items() if isinstance(t, str)} | {"~link_key": key}
    rest = {s: t for s, t in declared.map.items() if not isinstance(t, str)}
    return plain, declared.model_copy(update={"map": rest}), system, None
