"""XLSX workbooks, read cell by cell with openpyxl so no value passes through float guessing."""

from __future__ import annotations

import datetime
import logging
import zipfile
from pathlib import Path

import openpyxl
from openpyxl.utils import get_column_letter
from openpyxl.utils.exceptions import InvalidFileException

from ..problems import BatchValidationError, Problem
from .options import SourceOptions
from .table import RawTable, TableSource, build_table_source

logger = logging.getLogger(__name__)

# Excel stores every number as a double, which is exact for whole numbers up
# to 2**53 (about 16 digits). Larger ones, such as most 64-bit seeds, were
# already rounded when the workbook was saved.
_EXACT_WHOLE_LIMIT = 2**53
_LISTED_CELLS = 3


def read_xlsx(path: Path, file: str, options: SourceOptions) -> TableSource:
    """Read one sheet (the first, or `options.sheet`): first non-empty row is the header, every cell as text."""
    # NOTE: data_only reads the results Excel cached for formulas. A workbook
    # written by a script and never opened in Excel has none, so its formula
    # cells read as empty: openpyxl does not calculate formulas.
    try:
        workbook = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except (InvalidFileException, zipfile.BadZipFile, KeyError, ValueError, OSError) as error:
        message = f"the file is not a readable XLSX workbook ({error}); save it again from Excel as .xlsx"
        problem = Problem(message, file=file)
        raise BatchValidationError([problem]) from None

    try:
        sheet_name = _sheet_name(workbook, options.sheet, file)
        rows = [list(row) for row in workbook[sheet_name].iter_rows(values_only=True)]
    finally:
        workbook.close()

    notes = _rounded_number_notes(rows, file)
    rows = _without_leading_empty_rows(rows)
    if not rows:
        raise BatchValidationError(
            [Problem(f"sheet {sheet_name!r} is empty; add a header row and at least one row", file=file)]
        )

    cells = [[cell_text(value) for value in row] for row in rows]
    raw = RawTable(
        file=file,
        format="xlsx",
        header=cells[0],
        records=cells[1:],
        sheet=sheet_name,
        notes=tuple(notes),
    )
    return build_table_source(raw, options)


def _sheet_name(workbook: openpyxl.Workbook, requested: str | None, file: str) -> str:
    worksheet_names = [sheet.title for sheet in workbook.worksheets]
    if requested is None:
        if not worksheet_names:
            raise BatchValidationError([Problem("the workbook has no worksheet; add a sheet with a header row and rows", file=file)])
        return worksheet_names[0]

    if requested not in worksheet_names:
        raise BatchValidationError(
            [
                Problem(
                    message=f"sheet {requested!r} not found; set the option sheet to one of the workbook's sheets",
                    file=file,
                    value=requested,
                    allowed=", ".join(worksheet_names),
                )
            ]
        )
    return requested


def _without_leading_empty_rows(rows: list[list[object]]) -> list[list[object]]:
    for index, row in enumerate(rows):
        if any(value is not None and value != "" for value in row):
            return rows[index:]
    return []


def cell_text(value: object) -> str:
    """Write one openpyxl cell value as text.

    Empty cells become "", booleans "true"/"false", whole-number floats such
    as 4.0 "4", other floats their shortest round-trip form, dates and times
    ISO 8601 (a date-time at midnight as the date alone).
    """
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, datetime.datetime):
        if value.time() == datetime.time(0) and value.tzinfo is None:
            return value.date().isoformat()
        return value.isoformat()
    if isinstance(value, (datetime.date, datetime.time)):
        return value.isoformat()
    return str(value)


def _rounded_number_notes(rows: list[list[object]], file: str) -> list[str]:
    """Warn about whole numbers too large for Excel to have stored exactly; `rows` start at sheet row 1."""
    cells = []
    for row_index, row in enumerate(rows, 1):
        for column_index, value in enumerate(row, 1):
            if isinstance(value, float) and value.is_integer() and abs(value) > _EXACT_WHOLE_LIMIT:
                cells.append(f"{get_column_letter(column_index)}{row_index}")
    if not cells:
        return []

    listed = ", ".join(cells[:_LISTED_CELLS])
    if len(cells) > _LISTED_CELLS:
        listed += f" and {len(cells) - _LISTED_CELLS} more"
    note = (
        f"cells {listed} hold whole numbers above 2**53, which Excel stores rounded;"
        f" if they are seeds, format the column as Text in Excel and type them again"
    )
    logger.warning("%s: %s", file, note)
    return [note]
