"""Sources held in memory as a table: CSV, TSV, XLSX, JSON job lists and JSONL.

Each reader turns its file into a header and records of text cells. This
module checks them the same way for every format and assigns row ids.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Iterator, Sequence

from ..ids import DEFAULT_ID_COLUMN, DerivedIds, find_id_column, ids_from_column
from ..problems import BatchValidationError, Problem
from ..rows import Row, SourceInfo
from ..values import infer_column_type
from .options import SourceOptions, too_many_jobs_problem

logger = logging.getLogger(__name__)


@dataclass
class TableSource:
    """A source whose rows are all in memory, in file order; iterating builds each Row's dict anew."""

    info: SourceInfo
    ids: list[str]
    records: list[Sequence[str]] = field(repr=False)
    # Row id problems kept when SourceOptions.keep_id_problems is set; the source
    # must not run while any are present.
    problems: list[Problem] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.records)

    def __iter__(self) -> Iterator[Row]:
        columns = self.info.columns
        for number, (row_id, record) in enumerate(zip(self.ids, self.records), 1):
            yield Row(number=number, id=row_id, values=dict(zip(columns, record)))


@dataclass(frozen=True)
class RawTable:
    """A file's header and records of text cells, before any checking.

    Records may be shorter or longer than the header, which `build_table_source` checks.
    """

    file: str
    format: str
    header: list[str]
    records: list[list[str]]
    encoding: str | None = None
    delimiter: str | None = None
    sheet: str | None = None
    notes: tuple[str, ...] = ()


def build_table_source(raw: RawTable, options: SourceOptions) -> TableSource:
    """Check a raw table and turn it into a source; raise one BatchValidationError listing every problem.

    Checks, in order: header names (blank or repeated), cells beyond the header,
    the job cap, then row ids. Rows whose cells are all empty are skipped, so
    row numbers count only the rows that run.
    """
    problems: list[Problem] = []
    notes = list(raw.notes)

    # Trailing empty header cells are not columns: a parser pads the header to
    # the widest row, and spreadsheets often leave a trailing delimiter.
    names = [name.strip() for name in raw.header]
    while names and not names[-1]:
        names.pop()
    if not names:
        raise BatchValidationError([_no_columns_problem(raw)])

    header, kept_indexes = _checked_header(names, raw, problems, notes)
    records = _rectangular_records(raw, len(names), kept_indexes, problems)

    blank_count = len(raw.records) - len(records)
    if blank_count:
        notes.append(f"skipped {blank_count} row(s) whose cells are all empty")
    if not records and not problems:
        problems.append(Problem("the file has a header but no data rows; add at least one row", file=raw.file))
    if len(records) > options.max_jobs:
        problems.append(too_many_jobs_problem(len(records), options, raw.file))
        raise BatchValidationError(problems)

    id_problems: list[Problem] = []
    try:
        ids = _row_ids(header, records, options, raw.file, notes)
    except BatchValidationError as error:
        id_column = find_id_column(header, options.id_column)
        if problems or id_column is None or not options.keep_id_problems:
            raise BatchValidationError(problems + error.problems) from None
        # Blank or repeated ids: the rows are still built, so one batch check can
        # report every other row's problems too. The id problems go with the source.
        index = header.index(id_column)
        ids = [record[index].strip() for record in records]
        id_problems = error.problems
    if problems:
        raise BatchValidationError(problems)

    column_types = {
        name: infer_column_type(record[index] for record in records) for index, name in enumerate(header)
    }
    info = SourceInfo(
        path=raw.file,
        format=raw.format,
        columns=tuple(header),
        column_types=column_types,
        encoding=raw.encoding,
        delimiter=raw.delimiter,
        sheet=raw.sheet,
        notes=tuple(notes),
    )
    logger.info("Loaded %s: %d row(s), columns %s", raw.file, len(records), ", ".join(header))
    return TableSource(info=info, ids=ids, records=records, problems=id_problems)


def _no_columns_problem(raw: RawTable) -> Problem:
    if not raw.records and raw.format == "json":
        return Problem("the file lists no jobs; add at least one job object", file=raw.file)
    if raw.format == "json":
        return Problem('the jobs have no keys; give each job its values, such as "prompt"', file=raw.file)
    return Problem("the first row holds no column names; put the column names in the first row", file=raw.file)


def _checked_header(
    names: list[str], raw: RawTable, problems: list[Problem], notes: list[str]
) -> tuple[list[str], list[int]]:
    """Return the kept column names and their indexes; unnamed columns with no values are dropped."""
    kept_indexes: list[int] = []

    for index, name in enumerate(names):
        if name:
            kept_indexes.append(index)
        elif any(index < len(record) and record[index].strip() for record in raw.records):
            problems.append(
                Problem(
                    message=f"column {index + 1} has values but no name; add a name to its header cell",
                    file=raw.file,
                    column=f"#{index + 1}",
                    allowed="a non-empty column name",
                )
            )
    dropped = len(names) - len(kept_indexes)
    if dropped:
        notes.append(f"ignored {dropped} empty column(s) without a name")

    positions: dict[str, list[int]] = {}
    for index in kept_indexes:
        positions.setdefault(names[index], []).append(index + 1)
    for name, numbers in positions.items():
        if len(numbers) > 1:
            listed = ", ".join(str(number) for number in numbers)
            problems.append(
                Problem(
                    message=f"column name {name!r} is used by columns {listed}; rename all but one",
                    file=raw.file,
                    column=name,
                    allowed="unique column names",
                )
            )

    return [names[index] for index in kept_indexes], kept_indexes


def _rectangular_records(
    raw: RawTable, width: int, kept_indexes: list[int], problems: list[Problem]
) -> list[Sequence[str]]:
    """Pad short records with "", report non-empty cells beyond the header, and drop all-empty records."""
    records: list[Sequence[str]] = []
    padding = [""] * width
    keep_all = len(kept_indexes) == width

    for record in raw.records:
        if len(record) > width:
            extra = [cell for cell in record[width:] if cell.strip()]
            if extra:
                # Count up to the last value: a parser may have padded the record with empty cells.
                cell_count = max(index for index, cell in enumerate(record) if cell.strip()) + 1
                problems.append(_extra_cells_problem(raw, len(records) + 1, cell_count, width, extra))
            record = record[:width]
        elif len(record) < width:
            record = record + padding[len(record) :]

        if not any(record):
            continue
        records.append(tuple(record) if keep_all else tuple(record[index] for index in kept_indexes))

    return records


def _extra_cells_problem(raw: RawTable, number: int, cell_count: int, width: int, extra: list[str]) -> Problem:
    if raw.delimiter:
        fix = f"put quotes around values that contain {_delimiter_name(raw.delimiter)}, or add a column name"
    else:
        fix = "delete them or add a column name"
    return Problem(
        message=f"row has {cell_count} cells but the header has {width} columns; {fix}",
        file=raw.file,
        row=number,
        value=", ".join(extra),
        allowed=f"at most {width} cells per row",
    )


def _delimiter_name(delimiter: str) -> str:
    return {",": "a comma", ";": "a semicolon", "\t": "a tab", "|": "a pipe"}.get(delimiter, repr(delimiter))


def _row_ids(
    header: list[str], records: list[Sequence[str]], options: SourceOptions, file: str, notes: list[str]
) -> list[str]:
    id_column = find_id_column(header, options.id_column)

    if id_column is not None:
        index = header.index(id_column)
        return ids_from_column([record[index] for record in records], id_column, file)

    if options.id_column != DEFAULT_ID_COLUMN:
        raise BatchValidationError(
            [
                Problem(
                    message=(
                        f"id column {options.id_column!r} not found; set the option id_column to one of"
                        f" the columns, or to '{DEFAULT_ID_COLUMN}' to derive ids from row content"
                    ),
                    file=file,
                    column=options.id_column,
                    allowed=", ".join(header),
                )
            ]
        )

    notes.append(f"no '{DEFAULT_ID_COLUMN}' column: row ids are derived from each row's content")
    assigner = DerivedIds()
    return [assigner.next_id(dict(zip(header, record))) for record in records]
