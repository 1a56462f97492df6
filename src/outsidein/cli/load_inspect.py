"""``outsidein load KIND FILE --inspect [--save]``: the mapping assistant in the terminal.

It prints each column with what it holds (type, format, first values) and the proposed
target, the transforms the proposal needs, and the first rejects a load with it would leave
(from a scratch copy: the store is not written). ``--save`` writes the proposal, with the
command line's own options laid over it, into ``[load.KIND]`` and ``[formats.KIND]`` of
outsidein.toml.
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

import duckdb
import tomli_w
from rich.markup import escape
from rich.table import Table as RichTable

from outsidein.cli.app import console
from outsidein.errors import ConfigError
from outsidein.ingest.formats import ReadOptions
from outsidein.ingest.inspect import Inspection, inspect_file
from outsidein.ingest.inspect_preview import preview_load
from outsidein.ingest.transforms.options import merge_specs
from outsidein.settings.load import LoadSpec

SHOWN_REJECTS = 10


def run_inspect(
    store: duckdb.DuckDBPyConnection,
    kind: str,
    path: Path,
    cli: LoadSpec,
    options: ReadOptions,
    id_system: str | None,
    save_to: Path | None,
) -> Inspection:
    """Inspect ``path``, print the proposal and its first rejects; save it if asked."""
    found = inspect_file(store, kind, path, options)
    spec = merge_specs(found.spec, cli)
    formats = {**found.formats, **options.formats}
    _print_columns(found, spec)
    reading = ReadOptions(options.encoding, options.sheet, formats)
    preview = preview_load(store, kind, path, spec, reading, id_system)
    if preview.error:
        console.print(f"[red]a load with this mapping is refused:[/] {escape(preview.error)}")
    elif preview.result is not None:
        result = preview.result
        console.print(
            f"a load with this mapping: {result.rows_read:,} rows read, "
            f"{result.rows_read - result.rows_rejected:,} would load, "
            f"{result.rows_rejected:,} rejected",
            highlight=False,
        )
        if result.rejects:
            table = RichTable(
                "line", "column", "value", "reason", title="first rejects", title_justify="left"
            )
            for reject in result.rejects[:SHOWN_REJECTS]:
                cells = [
                    str(reject.line or ""),
                    reject.column or "",
                    reject.value or "",
                    reject.reason,
                ]
                table.add_row(*(escape(cell) for cell in cells))
            console.print(table)
    if save_to is not None:
        save_proposal(save_to, kind, spec, formats)
        console.print(f"saved the mapping into \\[load.{kind}] of {save_to}", highlight=False)
    else:
        console.print(f"--save writes it into \\[load.{kind}] of outsidein.toml", highlight=False)
    return found


def _print_columns(found: Inspection, spec: LoadSpec) -> None:
    table = RichTable("column", "holds", "format", "first values", "→ target", "by",
                      title=f"{Path(found.file).name}: {found.rows_sampled:,} rows read",
                      title_justify="left")  # fmt: skip
    for col in found.columns:
        target = spec.map.get(col.name)
        shown = target if isinstance(target, str) else ", ".join(target or []) or "—"
        table.add_row(*(escape(str(x)) for x in (
            col.name, col.inferred, col.format or "", ", ".join(col.values)[:60], shown,
            col.why if target == col.target else "you",
        )))  # fmt: skip
    console.print(table)
    for target, values in spec.values.items():
        pairs = ", ".join(f"{k}={v}" for k, v in values.items())
        console.print(f"  values: --values {target}:{pairs}", highlight=False)
    mapped = {t for ts in spec.map.values() for t in ([ts] if isinstance(ts, str) else ts)}
    missing = [
        c for c in found.unmapped_required if c not in mapped | set(spec.set) | set(spec.derive)
    ]
    if missing:
        console.print(
            f"  [yellow]required and not mapped:[/] {', '.join(missing)}: add --map COLUMN=TARGET "
            "or --set TARGET=VALUE",
            highlight=False,
        )


def save_proposal(path: Path, kind: str, spec: LoadSpec, formats: dict[str, str]) -> None:
    """Write ``[load.KIND]`` and ``[formats.KIND]`` into the TOML file at ``path`` (created
    if missing); the rest of the file is kept (as data: comments are not)."""
    data: dict[str, Any] = {}
    if path.exists():
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"{path}: not valid TOML ({exc}); fix it before --save") from None
    data.setdefault("load", {})[kind] = spec.model_dump(exclude_defaults=True)
    if formats:
        data.setdefault("formats", {})[kind] = dict(formats)
    path.write_text(tomli_w.dumps(data), encoding="utf-8")
