"""JSON and JSONL job files.

A .json file contains one of three shapes:

- a list of job objects, one row each;
- `{"defaults": {...}, "jobs": [...]}`, where each job's keys override the defaults;
- a template set `{"template": ..., "variables": ..., "combinations": ..., "rows": ...}`.

A .jsonl file contains one job object per line; blank lines are skipped. Columns
are the keys in order of first appearance, and a job without a key gets "".
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Callable, Mapping, Sequence

from ..problems import BatchValidationError, Problem
from ..rows import JobSource
from .decoding import decode_source
from .json_values import json_text, parse_json, shown_json
from .options import SourceOptions
from .table import RawTable, TableSource, build_table_source
from .template_set import read_template_set

JOBS_KEYS = ("defaults", "jobs")
JSON_SHAPES = (
    "a list of job objects, an object with 'jobs' (and optional 'defaults'),"
    " or a template set with 'template' and 'variables'"
)


def read_json(
    data: bytes,
    file: str,
    options: SourceOptions,
    load_rows: Callable[[Path, SourceOptions], JobSource] | None,
) -> JobSource:
    """Read a .json file in any of its three shapes.

    `load_rows` loads a template set's rows file; None means this file is
    itself a rows file, where a template set is not allowed.
    """
    decoded = decode_source(data, file, options.encoding, allow_windows_1252=False)
    document = parse_json(decoded.text, file)

    if isinstance(document, list):
        labels = [f"[{index}]" for index in range(len(document))]
        return _job_table(document, {}, labels, file, options, decoded.encoding)

    if isinstance(document, dict) and "jobs" in document:
        return _jobs_with_defaults(document, file, options, decoded.encoding)

    if isinstance(document, dict) and ("template" in document or "variables" in document):
        if load_rows is None:
            raise BatchValidationError(
                [
                    Problem(
                        "a template set's rows file is itself a template set;"
                        " point 'rows' at a table of rows (CSV, TSV, XLSX or a JSON job list)",
                        file=file,
                    )
                ]
            )
        source = read_template_set(document, file, options, load_rows)
        source.info = replace(source.info, encoding=decoded.encoding)
        return source

    problem = Problem(
        "the JSON file has none of the supported shapes", file=file, value=shown_json(document), allowed=JSON_SHAPES
    )
    raise BatchValidationError([problem])


def _jobs_with_defaults(
    document: Mapping[str, object], file: str, options: SourceOptions, encoding: str
) -> TableSource:
    problems = [
        Problem(f"unknown key {key!r} next to 'jobs'", file=file, column=key, allowed=", ".join(JOBS_KEYS))
        for key in document
        if key not in JOBS_KEYS
    ]

    defaults = document.get("defaults", {})
    if not isinstance(defaults, dict):
        problems.append(Problem("'defaults' must be an object of column values", file=file, value=shown_json(defaults)))
        defaults = {}
    jobs = document["jobs"]
    if not isinstance(jobs, list):
        problems.append(Problem("'jobs' must be a list of job objects", file=file, value=shown_json(jobs)))
        jobs = []
    if problems:
        raise BatchValidationError(problems)

    labels = [f"jobs[{index}]" for index in range(len(jobs))]
    return _job_table(jobs, defaults, labels, file, options, encoding)


def _job_table(
    jobs: Sequence[object],
    defaults: Mapping[str, object],
    labels: Sequence[str],
    file: str,
    options: SourceOptions,
    encoding: str,
) -> TableSource:
    """Turn job objects into a table; `labels` name each job in messages, such as "jobs[2]" or "line 5"."""
    problems: list[Problem] = []
    columns = _json_columns(defaults, jobs)
    records = []
    default_texts = {key: _cell(defaults, key, "defaults", None, file, problems) for key in defaults}

    for index, (job, where) in enumerate(zip(jobs, labels)):
        if not isinstance(job, dict):
            problems.append(
                Problem(f"{where} must be an object of column values", file=file, row=index + 1, value=shown_json(job))
            )
            continue
        merged = {**default_texts, **job}
        records.append([_cell(merged, column, where, index + 1, file, problems) for column in columns])

    if problems:
        raise BatchValidationError(problems)
    raw = RawTable(file=file, format="json", header=columns, records=records, encoding=encoding)
    return build_table_source(raw, options)


def _json_columns(defaults: Mapping[str, object], jobs: Sequence[object]) -> list[str]:
    columns = dict.fromkeys(defaults)
    for job in jobs:
        if isinstance(job, dict):
            columns.update(dict.fromkeys(job))
    return list(columns)


def _cell(
    job: Mapping[str, object], column: str, where: str, number: int | None, file: str, problems: list[Problem]
) -> str:
    value = job.get(column)
    try:
        return json_text(value)
    except ValueError as error:
        problems.append(
            Problem(f"{where}, key {column!r}: {error}", file=file, row=number, column=column, value=shown_json(value))
        )
        return ""


def read_jsonl(data: bytes, file: str, options: SourceOptions) -> TableSource:
    """Read a .jsonl file: one job object per line, blank lines skipped, every bad line reported."""
    decoded = decode_source(data, file, options.encoding, allow_windows_1252=False)
    problems: list[Problem] = []
    jobs: list[dict[str, object]] = []
    labels: list[str] = []

    # Only "\n" ends a line: JSON strings may hold U+2028 and other breaks that str.splitlines() splits on.
    for line_number, line in enumerate(decoded.text.split("\n"), 1):
        if not line.strip():
            continue
        try:
            job = parse_json(line, file, line_offset=line_number - 1)
        except BatchValidationError as error:
            problems.extend(error.problems)
            continue
        if isinstance(job, dict):
            jobs.append(job)
            labels.append(f"line {line_number}")
        else:
            problems.append(
                Problem(
                    f"line {line_number} must be a JSON object of column values",
                    file=file,
                    row=len(jobs) + 1,
                    value=shown_json(job),
                )
            )

    if problems:
        raise BatchValidationError(problems)
    return _job_table(jobs, {}, labels, file, options, decoded.encoding)
