"""Typed reading of cell text: integers, floats, booleans and column type inference.

Row values stay text everywhere. These functions convert a copy when a widget
needs a number or a flag, and name a column's type for previews. Integers are
parsed digit by digit by `int()`, never through `float`, so seeds up to 2**64-1
stay exact.
"""

from __future__ import annotations

import math
import re
from typing import Callable, Iterable, Literal

ColumnType = Literal["int", "float", "bool", "text", "empty"]

_DECIMAL_INT = re.compile(r"[+-]?[0-9]+")
_HEX_INT = re.compile(r"[+-]?0[xX][0-9a-fA-F]+")
_HEX_COLOUR = re.compile(r"#[0-9a-fA-F]{6}")
_DECIMAL_FLOAT = re.compile(r"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
# A single comma between digits, as spreadsheets in many European locales write 7,5.
_COMMA_FLOAT = re.compile(r"([+-]?)([0-9]+),([0-9]+)")

TRUE_WORDS = frozenset({"true", "yes", "1", "on"})
FALSE_WORDS = frozenset({"false", "no", "0", "off"})

INT_FORMS = "a whole number such as 42 or -7, a hex number such as 0x2A, or a colour such as #FF8800"
FLOAT_FORMS = "a finite number such as 7.5, 0.25, 1e-3 or 7,5"
BOOL_FORMS = "true/false, yes/no, 1/0 or on/off (any letter case)"


def parse_int(text: str) -> int:
    """Parse an integer cell exactly; raise ValueError naming the accepted forms.

    Accepts an optional sign, leading zeros and surrounding whitespace, `0x`
    hex and `#RRGGBB` colours (read as the 24-bit number 0xRRGGBB).
    """
    stripped = text.strip()

    if _DECIMAL_INT.fullmatch(stripped):
        return int(stripped, 10)

    if _HEX_INT.fullmatch(stripped):
        return int(stripped, 16)

    if _HEX_COLOUR.fullmatch(stripped):
        return int(stripped[1:], 16)

    if not stripped:
        raise ValueError(f"an empty cell is not an integer; write {INT_FORMS}")
    raise ValueError(f"{text!r} is not an integer; write {INT_FORMS}")


def parse_float(text: str) -> float:
    """Parse a finite float cell; raise ValueError naming the accepted forms.

    A single comma between digits is a decimal comma ("7,5" is 7.5). When the
    comma could also be a thousands separator ("1,250"), the cell is rejected
    as ambiguous, because guessing would change the value by a factor of 1000.
    """
    stripped = text.strip()

    if _DECIMAL_FLOAT.fullmatch(stripped):
        return _finite(float(stripped), text)

    comma = _COMMA_FLOAT.fullmatch(stripped)
    if comma:
        sign, whole, fraction = comma.groups()
        if len(fraction) == 3 and whole.lstrip("0"):
            raise ValueError(
                f"{text!r} is ambiguous: the comma may be a decimal comma or a thousands"
                f" separator; write {whole}.{fraction} or {whole}{fraction}"
            )
        return _finite(float(f"{sign}{whole}.{fraction}"), text)

    if not stripped:
        raise ValueError(f"an empty cell is not a number; write {FLOAT_FORMS}")
    raise ValueError(f"{text!r} is not a number; write {FLOAT_FORMS}")


def _finite(value: float, text: str) -> float:
    if not math.isfinite(value):
        raise ValueError(f"{text!r} is too large for a float; write {FLOAT_FORMS}")
    return value


def parse_bool(text: str) -> bool:
    """Parse a boolean cell such as "Yes" or "off"; raise ValueError naming the accepted words."""
    word = text.strip().lower()

    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False

    raise ValueError(f"{text!r} is not a boolean; write {BOOL_FORMS}")


def _is_int(text: str) -> bool:
    # The same three forms as parse_int, matched without raising, because
    # type inference checks every cell of a column.
    stripped = text.strip()
    return bool(
        _DECIMAL_INT.fullmatch(stripped) or _HEX_INT.fullmatch(stripped) or _HEX_COLOUR.fullmatch(stripped)
    )


def _is_float(text: str) -> bool:
    try:
        parse_float(text)
    except ValueError:
        return False
    return True


def _is_bool(text: str) -> bool:
    word = text.strip().lower()
    return word in TRUE_WORDS or word in FALSE_WORDS


_TYPE_CHECKS: tuple[tuple[ColumnType, Callable[[str], bool]], ...] = (
    ("int", _is_int),
    ("float", _is_float),
    ("bool", _is_bool),
)


def infer_column_type(values: Iterable[str]) -> ColumnType:
    """Name the narrowest type that every non-empty cell of a column parses as.

    Types are tried in the order int, float, bool, so a column of 0 and 1 is
    "int" and a column mixing 1 and 2.5 is "float". Blank cells are ignored,
    and a column with no other cells is "empty". The cells themselves are not
    changed: an id column of "004" is typed "int" but keeps its text.
    """
    cells = [value for value in values if value and not value.isspace()]
    if not cells:
        return "empty"

    for name, check in _TYPE_CHECKS:
        if all(check(cell) for cell in cells):
            return name
    return "text"
