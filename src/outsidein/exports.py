"""CSV files written for people, safe to open in a spreadsheet.

A cell that starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is read by
Excel, LibreOffice and Google Sheets as a formula; an account name from a CRM export could
then run one on the reader's machine. As the OWASP rule for CSV injection says, such text
cells get a leading single quote, which spreadsheets show as text. Numbers stay numbers
(``-5`` in a numeric column is a number, not a formula).
"""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

__all__ = ["neutralise_formulas", "write_csv"]

FORMULA_START = r"^[=+\-@\t\r]"


def neutralise_formulas(table: pa.Table) -> pa.Table:
    """``table`` with every text cell that a spreadsheet would run prefixed by ``'``."""
    columns = []
    for column in table.columns:
        kind = column.type
        if pa.types.is_dictionary(kind):
            column, kind = column.cast(kind.value_type), kind.value_type
        if pa.types.is_string(kind) or pa.types.is_large_string(kind):
            risky = pc.match_substring_regex(column, FORMULA_START)
            column = pc.if_else(risky, pc.binary_join_element_wise("'", column, ""), column)
        columns.append(column)
    return pa.Table.from_arrays(columns, names=table.column_names)


def write_csv(table: pa.Table, path: Path) -> None:
    """Write ``table`` as CSV with formulas neutralised."""
    pacsv.write_csv(neutralise_formulas(table), path)
