"""Rows of a job source: the unit a batch runs once, resumes by and names files after."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterator, Protocol


@dataclass(frozen=True)
class Row:
    """One job's values, exactly as text, keyed by column name.

    `number` is the 1-based position among the data rows. `id` is unique
    within the source and stable across runs: the checkpoint stores it.
    """

    number: int
    id: str
    values: dict[str, str] = field(hash=False)


@dataclass(frozen=True)
class SourceInfo:
    """The format, encoding and columns a source file was read with, for previews and notes."""

    path: str
    format: str
    columns: tuple[str, ...]
    column_types: dict[str, str] = field(default_factory=dict, hash=False)
    encoding: str | None = None
    delimiter: str | None = None
    sheet: str | None = None
    notes: tuple[str, ...] = ()


class JobSource(Protocol):
    """A sized, re-iterable stream of rows.

    Iteration may compute rows lazily (template combinations do), so callers
    that need every row at once build a list of them.
    """

    info: SourceInfo

    def __len__(self) -> int: ...

    def __iter__(self) -> Iterator[Row]: ...
