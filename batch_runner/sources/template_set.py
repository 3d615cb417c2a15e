"""Checking a template set and building its lazy source; also reading one from parsed JSON.

A template set is a template, variables with lists of values, and a way to
combine them. "all" takes the cartesian product, and "zip" takes the lists
side by side (all of one length). An explicit list of combinations chooses
one listed value per variable in each. An optional rows source crosses every
combination with every row. The job count is checked against `max_jobs`
before any row is built.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Callable, Mapping, Sequence

from ..problems import BatchValidationError, Problem
from ..rows import JobSource, SourceInfo
from ..templates import Template, template_problems
from ..values import infer_column_type
from .combinations import ALL, PROMPT_COLUMN, ZIP, Combinations, CombinationSource, Variable
from .json_values import json_text, shown_json
from .options import SourceOptions, too_many_jobs_problem

logger = logging.getLogger(__name__)

TEMPLATE_SET_KEYS = ("template", "variables", "combinations", "rows")
COMBINATION_MODES = f"'{ALL}', '{ZIP}', or a list of objects choosing one value per variable"
_LISTED_VALUES = 10


def build_template_set(
    template: str,
    variables: Sequence[Variable],
    combinations: str | Sequence[Mapping[str, str]] = ALL,
    *,
    rows: JobSource | None = None,
    options: SourceOptions | None = None,
    file: str = "template set",
    notes: Sequence[str] = (),
) -> CombinationSource:
    """Check a template set and return its lazy source; raise one BatchValidationError listing every problem."""
    options = options or SourceOptions()
    problems: list[Problem] = []
    row_columns = rows.info.columns if rows is not None else ()

    _check_variables(variables, row_columns, file, problems)
    chosen = _combinations(variables, combinations, file, problems)
    if not template.strip():
        problems.append(
            Problem(
                "the template is empty; write the prompt with {variable} placeholders", file=file, column="template"
            )
        )
    known = {variable.name for variable in variables} | set(row_columns)
    problems.extend(template_problems(template, known, file=file, column="template"))
    if problems:
        raise BatchValidationError(problems)

    count = (len(rows) if rows is not None else 1) * len(chosen)
    if count > options.max_jobs:
        detail = chosen.describe() + (f" × {len(rows)} rows" if rows is not None else "")
        raise BatchValidationError([too_many_jobs_problem(count, options, file, detail)])

    info = _template_set_info(file, variables, chosen, rows, notes)
    logger.info("Template set %s: %d job(s), %s", file, count, chosen.describe())
    return CombinationSource(info, Template(template), variables, chosen, rows)


def _check_variables(
    variables: Sequence[Variable], row_columns: Sequence[str], file: str, problems: list[Problem]
) -> None:
    if not variables:
        problems.append(
            Problem(
                "the template set has no variables; add at least one under 'variables'", file=file, column="variables"
            )
        )

    for variable in variables:
        if not variable.name.strip():
            problems.append(Problem("a variable has an empty name; give every variable a name", file=file))
        if variable.name == PROMPT_COLUMN:
            problems.append(
                Problem(
                    f"a variable may not be named '{PROMPT_COLUMN}': that column holds the filled template; rename it",
                    file=file,
                    column=variable.name,
                )
            )
        if variable.name in row_columns:
            problems.append(
                Problem(
                    f"variable '{variable.name}' has the same name as a column of the rows file; rename one of them",
                    file=file,
                    column=variable.name,
                )
            )
        if not variable.values:
            problems.append(
                Problem(f"variable '{variable.name}' has no values; list at least one", file=file, column=variable.name)
            )
        _check_unique_values(variable, file, problems)

    if PROMPT_COLUMN in row_columns:
        problems.append(
            Problem(
                f"the rows file has a '{PROMPT_COLUMN}' column, which the template set fills; rename that column",
                file=file,
                column=PROMPT_COLUMN,
            )
        )


def _check_unique_values(variable: Variable, file: str, problems: list[Problem]) -> None:
    seen: set[str] = set()
    for value in variable.values:
        if value in seen:
            problems.append(
                Problem(
                    f"variable '{variable.name}' lists {value!r} more than once; remove the repeat",
                    file=file,
                    column=variable.name,
                    value=value,
                )
            )
        seen.add(value)


def _combinations(
    variables: Sequence[Variable],
    combinations: str | Sequence[Mapping[str, str]],
    file: str,
    problems: list[Problem],
) -> Combinations:
    sizes = tuple(len(variable.values) for variable in variables)

    if combinations == ALL:
        return Combinations(ALL, sizes)

    if combinations == ZIP:
        if len(set(sizes)) > 1:
            lengths = ", ".join(f"{variable.name}: {len(variable.values)}" for variable in variables)
            problems.append(
                Problem(
                    f"'zip' needs lists of one length, but they have {lengths};"
                    f" make them equal, or use 'all' for every combination",
                    file=file,
                    column="combinations",
                )
            )
        return Combinations(ZIP, sizes)

    if isinstance(combinations, str):
        problems.append(
            Problem(
                "unknown combinations mode",
                file=file,
                column="combinations",
                value=combinations,
                allowed=COMBINATION_MODES,
            )
        )
        return Combinations(ALL, sizes)

    return Combinations("listed", sizes, _chosen_indexes(variables, combinations, file, problems))


def _chosen_indexes(
    variables: Sequence[Variable],
    combinations: Sequence[Mapping[str, str]],
    file: str,
    problems: list[Problem],
) -> tuple[tuple[int, ...], ...]:
    positions = [{value: index for index, value in enumerate(variable.values)} for variable in variables]
    names = {variable.name for variable in variables}
    chosen: list[tuple[int, ...]] = []
    seen: dict[tuple[int, ...], int] = {}

    for number, combination in enumerate(combinations, 1):
        for name in combination:
            if name not in names:
                problems.append(
                    Problem(
                        f"combination {number} sets {name!r}, which is not a variable;"
                        f" fix the name or add the variable",
                        file=file,
                        row=number,
                        column=name,
                        allowed=", ".join(sorted(names)),
                    )
                )

        indexes = []
        for variable, lookup in zip(variables, positions):
            index = _chosen_index(number, combination, variable, lookup, file, problems)
            if index is not None:
                indexes.append(index)
        if len(indexes) != len(variables):
            continue

        key = tuple(indexes)
        if key in seen:
            problems.append(
                Problem(
                    f"combination {number} repeats combination {seen[key]}; remove one of them",
                    file=file,
                    row=number,
                )
            )
            continue
        seen[key] = number
        chosen.append(key)

    if not combinations:
        problems.append(
            Problem("the list of combinations is empty; add at least one", file=file, column="combinations")
        )
    return tuple(chosen)


def _chosen_index(
    number: int,
    combination: Mapping[str, str],
    variable: Variable,
    lookup: Mapping[str, int],
    file: str,
    problems: list[Problem],
) -> int | None:
    if variable.name not in combination:
        problems.append(
            Problem(
                f"combination {number} does not set variable '{variable.name}'; give it one of the listed values",
                file=file,
                row=number,
                column=variable.name,
            )
        )
        return None

    value = combination[variable.name]
    if value not in lookup:
        listed = ", ".join(repr(listed) for listed in variable.values[:_LISTED_VALUES])
        if len(variable.values) > _LISTED_VALUES:
            listed += f" and {len(variable.values) - _LISTED_VALUES} more"
        problems.append(
            Problem(
                f"combination {number} gives variable '{variable.name}' a value that is not in its list;"
                f" add the value to variables.{variable.name} or pick a listed one",
                file=file,
                row=number,
                column=variable.name,
                value=value,
                allowed=listed,
            )
        )
        return None
    return lookup[value]


def _template_set_info(
    file: str,
    variables: Sequence[Variable],
    chosen: Combinations,
    rows: JobSource | None,
    notes: Sequence[str],
) -> SourceInfo:
    columns: list[str] = []
    column_types: dict[str, str] = {}
    if rows is not None:
        columns.extend(rows.info.columns)
        column_types.update(rows.info.column_types)
    for variable in variables:
        columns.append(variable.name)
        column_types[variable.name] = infer_column_type(variable.values)
    columns.append(PROMPT_COLUMN)
    column_types[PROMPT_COLUMN] = "text"

    all_notes = list(notes)
    shape = f"template set: {chosen.describe()}"
    if rows is not None:
        all_notes.extend(f"{rows.info.path}: {note}" for note in rows.info.notes)
        shape += f", crossed with {len(rows)} row(s) of {rows.info.path}"
    all_notes.append(shape)
    return SourceInfo(
        path=file,
        format="json",
        columns=tuple(columns),
        column_types=column_types,
        notes=tuple(all_notes),
    )


def read_template_set(
    spec: Mapping[str, object],
    file: str,
    options: SourceOptions,
    load_rows: Callable[[Path, SourceOptions], JobSource],
) -> CombinationSource:
    """Convert a parsed JSON template set to text values and build it.

    `load_rows` loads the file named by "rows", a path relative to the JSON
    file. That file must be a table (CSV, TSV, XLSX or a JSON job list).
    """
    problems: list[Problem] = []

    unknown = [key for key in spec if key not in TEMPLATE_SET_KEYS]
    for key in unknown:
        problems.append(
            Problem(
                f"unknown key {key!r} in the template set", file=file, column=key, allowed=", ".join(TEMPLATE_SET_KEYS)
            )
        )

    template = spec.get("template")
    if not isinstance(template, str):
        problems.append(
            Problem(
                "'template' must be a string such as \"photo of {product} on {background}\"",
                file=file,
                column="template",
                value=shown_json(template),
            )
        )
        template = ""

    variables = _json_variables(spec.get("variables"), file, problems)
    combinations = _json_combinations(spec.get("combinations", ALL), file, problems)
    problems_before_rows = len(problems)
    rows = _json_rows(spec.get("rows"), file, options, load_rows, problems)
    if not problems:
        return build_template_set(template, variables, combinations, rows=rows, options=options, file=file)

    # Check the rest too, so every problem is reported at once, but leave out
    # what follows from a part already reported as invalid: its placeholders
    # cannot be checked without the rows file's columns, for example.
    reported = {problem.column for problem in problems}
    if len(problems) > problems_before_rows:
        reported.add("template")
    if "combinations" in reported:
        combinations = ALL
    try:
        build_template_set(template, variables, combinations, rows=rows, options=options, file=file)
    except BatchValidationError as error:
        problems.extend(problem for problem in error.problems if problem.column not in reported)
    raise BatchValidationError(problems)


def _json_variables(raw: object, file: str, problems: list[Problem]) -> list[Variable]:
    if not isinstance(raw, dict):
        problems.append(
            Problem(
                "'variables' must be an object mapping each variable name to a list of values",
                file=file,
                column="variables",
                value=shown_json(raw),
            )
        )
        return []

    variables = []
    for name, values in raw.items():
        # A single value is a variable with one value: the same text in every prompt.
        listed = values if isinstance(values, list) else [values]
        texts = []
        for index, value in enumerate(listed):
            try:
                texts.append(json_text(value))
            except ValueError as error:
                problems.append(
                    Problem(f"variables.{name}[{index}]: {error}", file=file, column=name, value=shown_json(value))
                )
        variables.append(Variable(name, tuple(texts)))
    return variables


def _json_combinations(raw: object, file: str, problems: list[Problem]) -> str | list[dict[str, str]]:
    if isinstance(raw, str):
        return raw
    if not isinstance(raw, list):
        problems.append(
            Problem(
                "invalid 'combinations'",
                file=file,
                column="combinations",
                value=shown_json(raw),
                allowed=COMBINATION_MODES,
            )
        )
        return ALL

    chosen = []
    for number, item in enumerate(raw, 1):
        if not isinstance(item, dict):
            problems.append(
                Problem(
                    f"combination {number} must be an object such as {{\"product\": \"mug\"}}",
                    file=file,
                    row=number,
                    column="combinations",
                    value=shown_json(item),
                )
            )
            continue
        combination = {}
        for name, value in item.items():
            try:
                combination[name] = json_text(value)
            except ValueError as error:
                problems.append(
                    Problem(
                        f"combinations[{number - 1}].{name}: {error}",
                        file=file,
                        row=number,
                        column=name,
                        value=shown_json(value),
                    )
                )
        chosen.append(combination)
    return chosen


def _json_rows(
    raw: object,
    file: str,
    options: SourceOptions,
    load_rows: Callable[[Path, SourceOptions], JobSource],
    problems: list[Problem],
) -> JobSource | None:
    if raw is None:
        return None
    if not isinstance(raw, str) or not raw.strip():
        problems.append(
            Problem(
                "'rows' must be the path of a CSV, TSV, XLSX or JSON file, relative to this file",
                file=file,
                column="rows",
                value=shown_json(raw),
            )
        )
        return None

    path = Path(file).parent / raw
    try:
        rows = load_rows(path, options)
    except BatchValidationError as error:
        problems.extend(error.problems)
        return None

    return rows
