"""Options for reading a job source, and their validation."""

from __future__ import annotations

import codecs
from dataclasses import dataclass

from ..ids import DEFAULT_ID_COLUMN
from ..problems import Problem

DEFAULT_MAX_JOBS = 100_000
DETECTED_DELIMITERS = (",", ";", "\t", "|")
# Names a user may type in a text widget, where a literal tab is awkward.
DELIMITER_ALIASES = {"tab": "\t", "\\t": "\t", "comma": ",", "semicolon": ";", "pipe": "|"}


@dataclass(frozen=True)
class SourceOptions:
    """How to read a job source; the defaults detect everything they can.

    `id_column` names the column containing row ids, matched ignoring letter
    case when no column has the exact name. Without such a column, ids are
    derived from row content, but a non-default name that matches no column
    is reported as missing. `delimiter` and `encoding` of None mean detect,
    and `delimiter` also accepts names such as "tab". `sheet` of None means
    the first XLSX sheet. `max_jobs` caps the number of jobs, and a template
    set is checked against it before any combination is built.
    """

    id_column: str = DEFAULT_ID_COLUMN
    delimiter: str | None = None
    encoding: str | None = None
    sheet: str | None = None
    max_jobs: int = DEFAULT_MAX_JOBS
    # Return a table with blank or repeated ids instead of raising, listing them in
    # the source's `problems`, so a batch check can report them with every other row problem.
    keep_id_problems: bool = False

    def resolved_delimiter(self) -> str | None:
        """Return the delimiter as one character, with names such as "tab" translated."""
        if self.delimiter is None:
            return None
        return DELIMITER_ALIASES.get(self.delimiter.lower(), self.delimiter)


def option_problems(options: SourceOptions, file: str) -> list[Problem]:
    """Return a Problem for every option value that cannot work, before the file is read."""
    problems = []

    if not options.id_column.strip():
        problems.append(Problem("option id_column is empty; name the column that holds row ids", file=file))

    delimiter = options.resolved_delimiter()
    if delimiter is not None and (len(delimiter) != 1 or delimiter in "\"\r\n"):
        problems.append(
            Problem(
                "option delimiter must be a single character other than a quote or a line break",
                file=file,
                value=options.delimiter,
                allowed="one character such as , ; | or tab (write tab or \\t)",
            )
        )

    if options.encoding is not None:
        try:
            codecs.lookup(options.encoding)
        except LookupError:
            problems.append(
                Problem(
                    "option encoding names no known text encoding",
                    file=file,
                    value=options.encoding,
                    allowed="a Python codec name such as utf-8, utf-16 or cp1252, or empty to detect",
                )
            )

    if options.max_jobs < 1:
        problems.append(
            Problem("option max_jobs must be at least 1", file=file, value=str(options.max_jobs))
        )

    return problems


def too_many_jobs_problem(count: int, options: SourceOptions, file: str, detail: str = "") -> Problem:
    """Describe a source with more jobs than `max_jobs`, and how to raise the cap."""
    shape = f" ({detail})" if detail else ""
    return Problem(
        message=(
            f"the source makes {count:,} jobs{shape}, more than max_jobs = {options.max_jobs:,};"
            f" split the batch, or raise the option max_jobs to at least {count:,}"
        ),
        file=file,
        value=str(count),
        allowed=f"at most {options.max_jobs:,} jobs",
    )
