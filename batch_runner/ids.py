"""Row ids: taken from an id column, or derived from the row's content.

An id names a row in the checkpoint, the manifest and output file names, so it
must be unique within a source and the same on every run.
"""

from __future__ import annotations

import hashlib
from typing import Iterable, Mapping, Sequence

from .problems import BatchValidationError, Problem

DEFAULT_ID_COLUMN = "id"
DERIVED_ID_PREFIX = "r-"
# With 12 hex digits (48 bits), the chance that two of 100,000 different rows
# clash is below 1 in 50,000. A clash still gets a suffix, so ids stay unique.
DERIVED_ID_HEX_DIGITS = 12
ID_ALLOWED = "a non-empty id that no other row uses"


def find_id_column(columns: Sequence[str], id_column: str = DEFAULT_ID_COLUMN) -> str | None:
    """Return the column holding ids: an exact name match, else the one column equal ignoring case.

    Returns None when no column matches, or when several match only ignoring case.
    """
    if id_column in columns:
        return id_column

    folded = id_column.casefold()
    matches = [column for column in columns if column.casefold() == folded]
    if len(matches) == 1:
        return matches[0]
    return None


def ids_from_column(values: Sequence[str], column: str, file: str | None = None) -> list[str]:
    """Return the ids of an id column, trimmed of surrounding whitespace and otherwise unchanged.

    `values` are the column's cells in row order (row 1 first). Raises one
    BatchValidationError listing every blank id and every duplicated id with
    all the rows it appears on.
    """
    ids = [value.strip() for value in values]
    problems = [_blank_id_problem(number, column, file) for number, row_id in enumerate(ids, 1) if not row_id]

    rows_by_id: dict[str, list[int]] = {}
    for number, row_id in enumerate(ids, 1):
        if row_id:
            rows_by_id.setdefault(row_id, []).append(number)
    for row_id, numbers in rows_by_id.items():
        if len(numbers) > 1:
            problems.append(_duplicate_id_problem(row_id, numbers, column, file))

    if problems:
        raise BatchValidationError(problems)
    return ids


def _blank_id_problem(number: int, column: str, file: str | None) -> Problem:
    return Problem(
        message=f"missing id; fill in the '{column}' cell",
        file=file,
        row=number,
        column=column,
        value="",
        allowed=ID_ALLOWED,
    )


def _duplicate_id_problem(row_id: str, numbers: list[int], column: str, file: str | None) -> Problem:
    listed = ", ".join(str(number) for number in numbers)
    return Problem(
        message=f"duplicate id {row_id!r} on rows {listed}; give each of these rows its own id",
        file=file,
        row=numbers[1],
        column=column,
        value=row_id,
        allowed=ID_ALLOWED,
    )


def content_id(values: Mapping[str, str]) -> str:
    """Derive an id such as "r-3f9a12c4e8b0" from a row's non-empty cells.

    The id hashes the sorted column=value pairs, so it does not depend on
    column order or row position, and adding an empty column keeps it. Editing
    any non-empty cell changes it, which makes a resumed run treat the edited
    row as new.
    """
    # Length prefixes make the encoding unambiguous whatever the cells contain.
    payload = "".join(
        f"{len(column)}:{column}{len(value)}:{value}" for column, value in sorted(values.items()) if value
    )
    digest = hashlib.sha256(payload.encode("utf-8")).hexdigest()
    return DERIVED_ID_PREFIX + digest[:DERIVED_ID_HEX_DIGITS]


class DerivedIds:
    """Content ids handed out in file order, with a suffix for repeated content.

    The first row with some content gets `content_id(values)`. The second row
    with the same content gets that id plus "-2", the third "-3", and so on.
    Reordering identical rows only swaps which copy gets which id. The ids
    stay unique, so each copy is still one job and resuming repeats neither.
    """

    def __init__(self) -> None:
        self._seen: dict[str, int] = {}

    def next_id(self, values: Mapping[str, str]) -> str:
        base = content_id(values)
        count = self._seen.get(base, 0) + 1
        self._seen[base] = count
        if count == 1:
            return base
        return f"{base}-{count}"


def derived_ids(rows: Iterable[Mapping[str, str]]) -> list[str]:
    """Return a content id for every row in order, suffixing repeats as DerivedIds does."""
    assigner = DerivedIds()
    return [assigner.next_id(values) for values in rows]
