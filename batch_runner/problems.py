"""Validation problems, collected across a whole batch and reported together."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from enum import Enum
from typing import Any, Iterable


class Severity(str, Enum):
    ERROR = "error"
    WARNING = "warning"


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a batch, located as precisely as the checker can.

    `row` is the 1-based data row (the header is not counted), the number a
    user sees in the source node's row widget.
    """

    message: str
    file: str | None = None
    row: int | None = None
    column: str | None = None
    value: str | None = None
    allowed: str | None = None
    row_id: str | None = None
    severity: Severity = Severity.ERROR

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["severity"] = self.severity.value
        return {key: value for key, value in data.items() if value is not None}

    def describe(self) -> str:
        """Render the problem as one line: where, what, and what is allowed."""
        where = []
        if self.file:
            where.append(self.file)
        if self.row is not None:
            where.append(f"row {self.row}" + (f" (id {self.row_id})" if self.row_id else ""))
        if self.column:
            where.append(f"column '{self.column}'")
        text = ", ".join(where)
        text = f"{text}: {self.message}" if text else self.message
        if self.value is not None:
            text += f" (value: {self.value!r})"
        if self.allowed:
            text += f"; allowed: {self.allowed}"
        return text


class BatchValidationError(Exception):
    """Raised when a batch has errors; carries every problem found, not just the first."""

    def __init__(self, problems: Iterable[Problem]) -> None:
        self.problems = list(problems)
        errors = [p for p in self.problems if p.severity is Severity.ERROR]
        summary = "; ".join(p.describe() for p in errors[:5])
        more = f" (and {len(errors) - 5} more)" if len(errors) > 5 else ""
        super().__init__(f"{len(errors)} problem(s): {summary}{more}")

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity is Severity.ERROR]
