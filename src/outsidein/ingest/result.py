"""What a load reports: its counts and the first rejects, for the CLI, the API and tests."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class RejectRow:
    """One problem with one row: where it is and what is wrong."""

    line: int | None
    column: str | None
    value: str | None
    reason: str

    def describe(self, file: str) -> str:
        where = f"{file}:{self.line}" if self.line is not None else file
        field_part = f" {self.column}" if self.column else ""
        value_part = f" = {self.value!r}" if self.value is not None else ""
        return f"{where}{field_part}{value_part}: {self.reason}"


@dataclass
class LoadResult:
    """What a load did, for the CLI summary, the API and tests."""

    load_id: str
    kind: str
    file: str
    format: str
    rows_read: int = 0
    rows_inserted: int = 0
    rows_updated: int = 0
    rows_unchanged: int = 0
    rows_rejected: int = 0
    rejects: list[RejectRow] = field(default_factory=list)
    ignored_columns: list[str] = field(default_factory=list)
    already_loaded: bool = False
    seconds: float = 0.0
    custom_fields: list[str] = field(default_factory=list)  # columns kept as custom fields
    notes: list[str] = field(default_factory=list)  # rows left out or combined by transforms
    rows_missing: int = 0  # rows of the kind a --full-refresh list lacked: ended or flagged

    @property
    def rows_loaded(self) -> int:
        return self.rows_inserted + self.rows_updated
