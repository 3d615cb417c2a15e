"""Quote-aware scans of delimited text: delimiter detection, padding removal, field counts.

A quoted field starts with `"` at the beginning of a field and ends at the
next `"` that is not doubled, line breaks included. A quote anywhere else is
an ordinary character, as in `a 5" screen`. pandas' C parser follows the same
rules once trim_padding has removed the spaces before opening quotes, so the
scans here agree with it about which text is inside quotes.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Sequence

from .options import DETECTED_DELIMITERS

# After the opening quote, as an unrolled loop: `(?:[^"]|"")*"` matches the
# same text but tries an alternation at every character.
_QUOTED_REST = r'[^"]*(?:""[^"]*)*"'
_QUOTED = '"' + _QUOTED_REST
_SAMPLE_CHARS = 64 * 1024
_SAMPLE_LINES = 200


def _field_start(delimiters: str) -> str:
    escaped = "".join(re.escape(delimiter) for delimiter in delimiters)
    return rf"(?:^|(?<=[{escaped}]))"


def _padding_class(delimiter: str) -> str:
    # A tab is data, not padding, when it is the delimiter.
    return "[ ]" if delimiter == "\t" else "[ \t]"


_ANY_QUOTED_FIELD = re.compile(_field_start("".join(DETECTED_DELIMITERS)) + r"[ \t]*" + _QUOTED, re.MULTILINE)


def detect_delimiter(text: str, preferred: Sequence[str] = DETECTED_DELIMITERS) -> str:
    """Pick the delimiter that splits the header and the most sample lines into the same number of fields.

    Delimiters inside quoted fields are ignored. A candidate that does not
    appear in the header is never chosen. Ties go to the more frequent
    delimiter, then to the earlier one in `preferred`. With no candidate in
    the header (a one-column file), the first of `preferred` is returned.
    """
    sample = text[:_SAMPLE_CHARS]
    if len(text) > _SAMPLE_CHARS and "\n" in sample:
        sample = sample[: sample.rindex("\n")]
    unquoted = _ANY_QUOTED_FIELD.sub('""', sample)
    lines = [line for line in unquoted.split("\n") if line.strip()][:_SAMPLE_LINES]
    if not lines:
        return preferred[0]

    header, data = lines[0], lines[1:]
    best: tuple[tuple[int, int], str] | None = None
    for delimiter in preferred:
        header_count = header.count(delimiter)
        if header_count == 0:
            continue
        agreeing = sum(1 for line in data if line.count(delimiter) == header_count)
        score = (agreeing, header_count)
        if best is None or score > best[0]:
            best = (score, delimiter)

    return best[1] if best else preferred[0]


@lru_cache(maxsize=8)
def _quoted_field_pattern(delimiter: str) -> re.Pattern[str]:
    """Match a quoted field with any padding before it, as one group for re.split.

    Each alternative starts with a literal character and checks the field
    start by a lookbehind after it. That lets the regex engine skip straight
    to quotes and spaces, where a leading assertion is tried at every position.
    """
    space = _padding_class(delimiter)
    before = f"[^{re.escape(delimiter)}\\n]"
    return re.compile(rf'("(?<!{before}"){_QUOTED_REST}|{space}(?<!{before}{space}){space}*{_QUOTED})')


def has_padding(text: str, delimiter: str) -> bool:
    """Tell whether any spaces may sit next to a delimiter or line edge (a fast check before trimming)."""
    spaces = " " if delimiter == "\t" else " \t"
    if text[:1] in spaces or text[-1:] in spaces:
        return True
    return any(
        pair in text
        for space in spaces
        for pair in (space + delimiter, delimiter + space, space + "\n", "\n" + space)
    )


def trim_padding(text: str, delimiter: str) -> str:
    """Remove spaces around delimiters and at line edges, except inside quoted fields.

    Text must use "\\n" line breaks. Spaces inside a quoted field are kept
    exactly, and the spaces between a delimiter and an opening quote are
    removed, so ` "a, b" ` reads as the quoted field `a, b`.
    """
    if not has_padding(text, delimiter):
        return text

    # Odd pieces are quoted fields, even pieces the text between them. Joining
    # the text pieces with NUL, which decoding has rejected, lets plain regexes
    # trim them without ever seeing quoted content.
    pieces = _quoted_field_pattern(delimiter).split(text)
    outside = "\x00".join(pieces[0::2])
    if has_padding(outside, delimiter):
        space = _padding_class(delimiter)
        edge = f"[{re.escape(delimiter)}\\n]"
        outside = re.sub(rf"{space}+(?={edge}|\Z)", "", outside)
        outside = re.sub(rf"({edge}){space}+", r"\1", outside)
        outside = outside.lstrip(" " if delimiter == "\t" else " \t")

    pieces[0::2] = outside.split("\x00")
    pieces[1::2] = [quoted.lstrip(" \t") for quoted in pieces[1::2]]
    return "".join(pieces)


def max_field_count(text: str, delimiter: str) -> int:
    """Count the fields of the widest record, ignoring delimiters and line breaks inside quoted fields."""
    unquoted = _quoted_field_pattern(delimiter).sub("", text)
    return max(line.count(delimiter) for line in unquoted.split("\n")) + 1


def unclosed_quote_line(text: str, delimiter: str) -> int | None:
    """Return the 1-based line where a quoted field opens but never closes, or None if every one closes."""
    opening = re.compile(_field_start(delimiter) + r'[ \t]*"(?:[^"]|"")*("?)', re.MULTILINE)
    for match in opening.finditer(text):
        if not match.group(1):
            return text.count("\n", 0, match.start()) + 1
    return None
