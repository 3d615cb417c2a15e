"""JSON decoding that keeps numbers exact, and JSON scalars written as cell text."""

from __future__ import annotations

import json
import math

from ..problems import BatchValidationError, Problem


class NonFiniteNumber:
    """A JSON number that is not a finite float: NaN, Infinity, or a literal too large such as 1e400."""

    def __init__(self, text: str) -> None:
        self.text = text


def _parse_float(text: str) -> float | NonFiniteNumber:
    value = float(text)
    return value if math.isfinite(value) else NonFiniteNumber(text)


def parse_json(text: str, file: str, line_offset: int = 0) -> object:
    """Parse JSON text; raise BatchValidationError with the decoder's line and column.

    Integers stay Python ints, so 18446744073709551615 is exact. `line_offset`
    is added to the reported line, for one line of a JSONL file.
    """
    try:
        return json.loads(text, parse_float=_parse_float, parse_constant=NonFiniteNumber)
    except json.JSONDecodeError as error:
        line = error.lineno + line_offset
        raise BatchValidationError(
            [
                Problem(
                    message=f"invalid JSON on line {line}, column {error.colno}: {error.msg}; fix the syntax there",
                    file=file,
                )
            ]
        ) from None


def json_text(value: object) -> str:
    """Write a JSON scalar as cell text; raise ValueError for objects, lists and non-finite numbers.

    Strings stay as they are, integers exact, floats in their shortest
    round-trip form (1.50 becomes "1.5"), booleans "true"/"false", null "".
    """
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, NonFiniteNumber):
        raise ValueError(f"{value.text} is not a finite number; write a number such as 7.5, or a string")
    if isinstance(value, dict):
        raise ValueError("a nested object is not a cell value; write the value as a string, number, true/false or null")
    if isinstance(value, list):
        raise ValueError("a list is not a cell value; write one value per job, or use a template set for lists")
    raise ValueError(f"unsupported JSON value {value!r}")


def shown_json(value: object) -> str:
    """Return a short JSON-like rendering of a value for a problem report."""
    if isinstance(value, NonFiniteNumber):
        return value.text
    try:
        rendered = json.dumps(value, ensure_ascii=False, default=_shown_non_json)
    except ValueError:
        rendered = repr(value)
    return rendered if len(rendered) <= 80 else rendered[:77] + "..."


def _shown_non_json(value: object) -> str:
    return value.text if isinstance(value, NonFiniteNumber) else str(value)
