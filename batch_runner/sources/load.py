"""Choosing a reader by file extension and turning read failures into validation problems."""

from __future__ import annotations

import logging
from pathlib import Path

from ..problems import BatchValidationError, Problem
from ..rows import JobSource
from .json_source import read_json, read_jsonl
from .options import SourceOptions, option_problems
from .tabular import read_delimited
from .xlsx import read_xlsx

logger = logging.getLogger(__name__)

SUPPORTED_EXTENSIONS = (".csv", ".tsv", ".txt", ".xlsx", ".json", ".jsonl")


def load_source(path: str | Path, options: SourceOptions | None = None) -> JobSource:
    """Read a job source file; raise BatchValidationError listing what is wrong and how to fix it.

    The reader is chosen by extension, in any letter case. Rows get ids from
    the id column or, without one, from their content. A template set (.json)
    is returned as a lazy source whose rows are built while iterating.
    """
    return _load(Path(path), options or SourceOptions(), allow_template_set=True)


def _load_rows_file(path: Path, options: SourceOptions) -> JobSource:
    # A template set's rows file may not be a template set itself, which also
    # stops two template sets from naming each other as rows forever.
    return _load(path, options, allow_template_set=False)


def _load(path: Path, options: SourceOptions, *, allow_template_set: bool) -> JobSource:
    file = str(path)

    problems = option_problems(options, file)
    if problems:
        raise BatchValidationError(problems)

    extension = path.suffix.lower()
    if extension not in SUPPORTED_EXTENSIONS:
        raise BatchValidationError(
            [
                Problem(
                    f"unsupported file type {path.suffix or '(no extension)'}; save the jobs in a supported format",
                    file=file,
                    value=path.suffix,
                    allowed=", ".join(SUPPORTED_EXTENSIONS),
                )
            ]
        )

    logger.info("Reading job source %s", file)
    if extension == ".xlsx":
        _check_readable(path, file)
        return read_xlsx(path, file, options)

    data = _read_bytes(path, file)
    if extension == ".json":
        rows_loader = _load_rows_file if allow_template_set else None
        return read_json(data, file, options, rows_loader)
    if extension == ".jsonl":
        return read_jsonl(data, file, options)
    return read_delimited(data, file, options, "tsv" if extension == ".tsv" else "csv")


def _read_bytes(path: Path, file: str) -> bytes:
    _check_readable(path, file)
    try:
        return path.read_bytes()
    except OSError as error:
        raise BatchValidationError([Problem(f"the file cannot be read: {error.strerror}", file=file)]) from None


def _check_readable(path: Path, file: str) -> None:
    if not path.exists():
        raise BatchValidationError([Problem("file not found; check the path and the file name", file=file)])
    if not path.is_file():
        raise BatchValidationError([Problem("the path is not a file; choose a file, not a folder", file=file)])
