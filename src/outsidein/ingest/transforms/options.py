"""The ``outsidein load`` options as a :class:`LoadSpec`, and the file's spec merged with them.

Each option is parsed here, before the store opens, and a malformed one is refused naming
the option and what would be valid.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

from outsidein.errors import ConfigError
from outsidein.ingest.transforms.conditions import Condition, parse_condition, parse_derivation
from outsidein.settings.load import LoadSpec

__all__ = [
    "cli_spec",
    "load_inputs",
    "merge_specs",
    "parse_factor",
    "parse_scale",
    "plain_maps",
    "split_list",
]

_FACTOR = re.compile(r"\s*(-?\d+(?:\.\d+)?)\s*(?:/\s*(\d+(?:\.\d+)?)\s*)?")


def _split_escaped(text: str, sep: str, limit: int = -1) -> list[str]:
    """Split at unescaped ``sep`` (at most ``limit`` times), escapes kept in the parts."""
    parts, start, i = [], 0, 0
    while i < len(text):
        if text[i] == "\\":
            i += 2
            continue
        if text[i] == sep and limit != 0:
            parts.append(text[start:i])
            start = i + 1
            limit -= 1
        i += 1
    parts.append(text[start:])
    return parts


def _unescape(text: str) -> str:
    """``\\x`` is ``x`` (a lone backslash at the end stays)."""
    out, i = [], 0
    while i < len(text):
        if text[i] == "\\" and i + 1 < len(text):
            i += 1
        out.append(text[i])
        i += 1
    return "".join(out)


def split_list(text: str) -> list[str]:
    r"""Split ``a,b,c`` at commas; ``\,`` is a comma inside an item, ``\\`` a backslash."""
    return [_unescape(part) for part in _split_escaped(text, ",")]


def _pair(option: str, spec: str, shape: str) -> tuple[str, str]:
    name, sep, value = spec.partition("=")
    if not sep or not name.strip():
        raise ConfigError(f"{option} {spec!r}: expected {shape}")
    return name.strip(), value


def parse_factor(value: float | str, where: str) -> float:
    """A scale factor: a number, or a fraction ``1/12``; never zero."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        factor = float(value)
    else:
        match = _FACTOR.fullmatch(str(value))
        if not match:
            raise ConfigError(f"{where}: {value!r} is not a number or a fraction like 1/12")
        factor = float(match[1]) / float(match[2] or 1)
    if factor == 0 or factor != factor:
        raise ConfigError(f"{where}: the factor must be a number other than 0")
    return factor


def parse_scale(value: float | str, where: str) -> tuple[float, Condition | None]:
    """``FACTOR`` or ``FACTOR if CONDITION``: the factor, and the rows it applies to."""
    if isinstance(value, str):
        parts = re.split(r"\s+if\s+", value.strip(), maxsplit=1, flags=re.IGNORECASE)
        if len(parts) == 2:
            return parse_factor(parts[0], where), parse_condition(parts[1], where)
    return parse_factor(value, where), None


def cli_spec(
    *,
    maps: Sequence[str] = (),
    values: Sequence[str] = (),
    sets: Sequence[str] = (),
    coalesce: Sequence[str] = (),
    scale: Sequence[str] = (),
    derive: Sequence[str] = (),
    where: Sequence[str] = (),
    key_from: str | None = None,
    group_by: str | None = None,
    sums: Sequence[str] = (),
    keep_extra: bool | None = None,
    values_case_sensitive: bool = False,
) -> LoadSpec:
    """The spec the command-line options describe; every one checked for shape."""
    spec = LoadSpec(keep_extra=keep_extra, values_case_sensitive=values_case_sensitive)
    for item in maps:
        source, target = _pair("--map", item, "SOURCE_COLUMN=CANONICAL_COLUMN")
        if not target.strip():
            raise ConfigError(f"--map {item!r}: expected SOURCE_COLUMN=CANONICAL_COLUMN")
        known = spec.map.get(source)
        targets = [known] if isinstance(known, str) else list(known or [])
        spec.map[source] = [*targets, target.strip()] if targets else target.strip()
    for item in values:
        target, sep, pairs = item.partition(":")
        if target in ("custom", "ext") and sep:  # custom:plan_tier:gold=Gold
            name, sep, pairs = pairs.partition(":")
            target = f"{target}:{name}"
        if not sep or not target.strip() or not pairs:
            raise ConfigError(f"--values {item!r}: expected TARGET:FROM=TO,FROM=TO")
        table = spec.values.setdefault(target.strip(), {})
        for pair in _split_escaped(pairs, ","):
            halves = _split_escaped(pair, "=", 1)
            if len(halves) != 2 or not halves[0]:
                raise ConfigError(
                    f"--values {item!r}: expected TARGET:FROM=TO,FROM=TO "
                    "(\\, and \\= for a comma or = inside a value)"
                )
            table[_unescape(halves[0])] = _unescape(halves[1])
    for item in sets:
        target, value = _pair("--set", item, "TARGET=VALUE")
        spec.set[target] = value
    for item in coalesce:
        target, columns = _pair("--coalesce", item, "TARGET=COLUMN,COLUMN")
        spec.coalesce[target] = [c.strip() for c in split_list(columns) if c.strip()]
        if len(spec.coalesce[target]) < 2:
            raise ConfigError(f"--coalesce {item!r}: name two or more columns, comma-separated")
    for item in scale:
        target, factor = _pair("--scale", item, "TARGET=FACTOR [if CONDITION] (0.01, 1/12)")
        parse_scale(factor, f"--scale {item!r}")
        prior = spec.scale.get(target)
        earlier = [] if prior is None else prior if isinstance(prior, list) else [prior]
        spec.scale[target] = [*earlier, factor.strip()] if earlier else factor.strip()
    for item in derive:
        target, rule = _pair("--derive", item, "TARGET='VALUE if CONDITION; ...; else VALUE'")
        parse_derivation(rule, f"--derive {item!r}")
        spec.derive[target] = rule
    for item in where:
        parse_condition(item, f"--where {item!r}")
        spec.where.append(item)
    if key_from is not None:
        spec.key_from = [c.strip() for c in split_list(key_from) if c.strip()]
        if not spec.key_from:
            raise ConfigError("--key-from: name the columns that identify a row, a,b,c")
    spec.group_by = group_by.strip() if group_by else None
    spec.sum = [s.strip() for item in sums for s in split_list(item) if s.strip()]
    return spec


def _targets(spec: LoadSpec) -> set[str]:
    """Targets the spec gives a value to (not those it only transforms)."""
    found = {t for ts in spec.map.values() for t in ([ts] if isinstance(ts, str) else ts)}
    return found | set(spec.set) | set(spec.coalesce) | set(spec.derive)


def merge_specs(from_file: LoadSpec, from_cli: LoadSpec) -> LoadSpec:
    """The file's spec with the command line's on top: a target the command line gives a
    value to drops the file's way of giving it one; conditions add up."""
    cli_targets = _targets(from_cli)
    merged = from_file.model_copy(deep=True)

    def keep(targets: str | list[str]) -> list[str]:
        listed = [targets] if isinstance(targets, str) else targets
        return [t for t in listed if t not in cli_targets]

    merged.map = {
        s: kept[0] if len(kept) == 1 else kept for s, ts in merged.map.items() if (kept := keep(ts))
    }
    for name in ("set", "coalesce", "derive"):
        table = getattr(merged, name)
        for target in cli_targets:
            table.pop(target, None)
    for source, targets in from_cli.map.items():
        merged.map[source] = targets  # a source named on the command line: its targets only
    merged.set.update(from_cli.set)
    merged.coalesce.update(from_cli.coalesce)
    merged.derive.update(from_cli.derive)
    merged.scale.update(from_cli.scale)
    for target, table in from_cli.values.items():
        merged.values[target] = {**merged.values.get(target, {}), **table}
    merged.where = [*merged.where, *from_cli.where]
    if from_cli.key_from:
        merged.key_from = from_cli.key_from
    if from_cli.link_key:
        merged.link_key = from_cli.link_key
    if from_cli.group_by:
        merged.group_by = from_cli.group_by
    if from_cli.sum:
        merged.sum = from_cli.sum
    if from_cli.keep_extra is not None:
        merged.keep_extra = from_cli.keep_extra
    merged.values_case_sensitive = merged.values_case_sensitive or from_cli.values_case_sensitive
    return merged


def plain_maps(spec: LoadSpec) -> tuple[dict[str, str], LoadSpec]:
    """(one-to-one maps, the rest of the spec): a load with plain maps only is read, and
    fingerprinted, exactly as before transforms existed."""
    plain = {s: t for s, t in spec.map.items() if isinstance(t, str)}
    rest = spec.model_copy(update={"map": {s: t for s, t in spec.map.items() if s not in plain}})
    return plain, rest


def load_inputs(
    mapping: Mapping[str, str], from_file: LoadSpec, cli: LoadSpec
) -> tuple[dict[str, str], LoadSpec]:
    """The column mapping and transforms of a load: ``[mapping.KIND]`` and ``[load.KIND]``
    of the configuration with the command line's options on top (it wins source by source
    and target by target)."""
    spec = merge_specs(from_file, cli)
    plain, rest = plain_maps(spec)
    merged = {s: t for s, t in mapping.items() if s not in spec.map}
    return {**merged, **plain}, rest
