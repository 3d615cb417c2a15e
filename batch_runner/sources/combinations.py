"""Template sets: one job per combination of variable values, built lazily row by row.

A combination's id hashes its variable names and values. It stays the same
across runs, when other values are added to the lists or reordered, and when
the template text is edited, so a resumed run skips the combinations already
done. Crossed with a rows file (a matrix), a job's id is the row's id and the
combination's id joined by "~".
"""

from __future__ import annotations

import hashlib
import itertools
import math
from dataclasses import dataclass
from typing import Iterable, Iterator, Sequence

from ..rows import JobSource, Row, SourceInfo
from ..templates import Template

PROMPT_COLUMN = "prompt"
COMBINATION_ID_PREFIX = "c-"
# 16 hex digits (64 bits): ids are never all held at once to check them, so
# the digest must make a clash negligible (about 1 in 30 million at 1,000,000 combinations).
COMBINATION_ID_HEX_DIGITS = 16
MATRIX_ID_SEPARATOR = "~"

ALL = "all"
ZIP = "zip"


@dataclass(frozen=True)
class Variable:
    """A template variable and its values, as text, in the order given."""

    name: str
    values: tuple[str, ...]


def combination_id(pairs: Iterable[tuple[str, str]]) -> str:
    """Derive an id such as "c-3f9a12c4e8b0a1d2" from (variable, value) pairs, independent of their order."""
    payload = "".join(f"{len(name)}:{name}{len(value)}:{value}" for name, value in sorted(pairs))
    digest = hashlib.sha256(payload.encode("utf-8")).hexdigest()
    return COMBINATION_ID_PREFIX + digest[:COMBINATION_ID_HEX_DIGITS]


@dataclass(frozen=True)
class Combinations:
    """The value index tuples to run: every combination ("all"), lists side by side ("zip"), or chosen ones.

    `chosen` contains one index tuple per combination, in variable order. It
    is used only when `mode` is neither "all" nor "zip".
    """

    mode: str
    sizes: tuple[int, ...]
    chosen: tuple[tuple[int, ...], ...] = ()

    def __len__(self) -> int:
        if self.mode == ALL:
            return math.prod(self.sizes)
        if self.mode == ZIP:
            return self.sizes[0] if self.sizes else 0
        return len(self.chosen)

    def __iter__(self) -> Iterator[tuple[int, ...]]:
        if self.mode == ALL:
            # product() keeps only the small index ranges, never the combinations.
            return itertools.product(*(range(size) for size in self.sizes))
        if self.mode == ZIP:
            return ((index,) * len(self.sizes) for index in range(len(self)))
        return iter(self.chosen)

    def describe(self) -> str:
        if self.mode == ALL:
            return " × ".join(str(size) for size in self.sizes) + " (all combinations)"
        if self.mode == ZIP:
            return f"{len(self)} (lists zipped)"
        return f"{len(self)} (listed combinations)"


class CombinationSource:
    """Rows made from a template and its variables, optionally crossed with the rows of another source.

    Columns are the rows file's columns, then the variables, then `prompt`
    with the filled template. Iteration builds one Row at a time; `len()` is
    computed without building any. Rows come row-major: every combination of
    the first file row, then of the second.
    """

    def __init__(
        self,
        info: SourceInfo,
        template: Template,
        variables: Sequence[Variable],
        combinations: Combinations,
        rows: JobSource | None = None,
    ) -> None:
        self.info = info
        self.template = template
        self.variables = tuple(variables)
        self.combinations = combinations
        self.rows = rows

    def __len__(self) -> int:
        row_count = len(self.rows) if self.rows is not None else 1
        return row_count * len(self.combinations)

    def __iter__(self) -> Iterator[Row]:
        number = 0
        for base in self._base_rows():
            for indexes in self.combinations:
                number += 1
                yield self._row(number, base, indexes)

    def coverage_rows(self) -> Iterator[Row]:
        """Yield a few rows in which every base row and every variable value appears at least once.

        Checks that look at one column's value at a time pass for every row
        exactly when they pass for these, so a batch of a million combinations
        is validated from a few dozen rows. Row numbers are those of the full
        iteration only for the first base row.
        """
        if self.combinations.mode == ALL:
            widest = max(self.combinations.sizes, default=0)
            sample = [tuple(min(step, size - 1) for size in self.combinations.sizes) for step in range(widest)]
        else:
            sample = list(self.combinations)
        for base_index, base in enumerate(self._base_rows()):
            chosen = sample if base_index == 0 else sample[:1]
            for offset, indexes in enumerate(chosen, start=1):
                yield self._row(base_index * len(self.combinations) + offset, base, indexes)

    def _base_rows(self) -> Iterator[Row | None]:
        if self.rows is None:
            yield None
        else:
            yield from self.rows

    def _row(self, number: int, base: Row | None, indexes: tuple[int, ...]) -> Row:
        values: dict[str, str] = dict(base.values) if base is not None else {}
        pairs = []
        for variable, index in zip(self.variables, indexes):
            value = variable.values[index]
            values[variable.name] = value
            pairs.append((variable.name, value))
        values[PROMPT_COLUMN] = self.template.render(values)

        row_id = combination_id(pairs)
        if base is not None:
            row_id = f"{base.id}{MATRIX_ID_SEPARATOR}{row_id}"
        return Row(number=number, id=row_id, values=values)
