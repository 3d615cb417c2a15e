"""Naming patterns: parsing `{token}` placeholders and folder separators, and checking them.

Syntax: `{name}` or `{name:spec}` is a token, and `{{` and `}}` are literal
braces. A `/` written in the pattern's literal text separates folders. A `/` produced by
a token never does: token text always stays inside one path component.
"""

from __future__ import annotations

from dataclasses import dataclass
from difflib import get_close_matches
from typing import Iterable, Union

from ..problems import Problem, Severity
from .safe_names import FORBIDDEN_CHARACTERS
from .tokens import BUILTIN_TOKENS, DATE_TIME_TOKENS, USUALLY_FROM_COLUMN, TokenSpecError, check_token_spec

FOLDER_SEPARATOR = "/"


@dataclass(frozen=True)
class Token:
    """One `{name}` or `{name:spec}` placeholder, with `text` as the pattern spells it."""

    name: str
    spec: str | None
    text: str


Segment = Union[str, Token]


@dataclass(frozen=True)
class ParsedPattern:
    """A pattern split into path components, each a sequence of literal text and tokens.

    Components that are empty or a literal "." are already dropped.
    """

    text: str
    components: tuple[tuple[Segment, ...], ...]

    def tokens(self) -> list[Token]:
        return [segment for component in self.components for segment in component if isinstance(segment, Token)]


class PatternError(ValueError):
    """Raised when a naming pattern cannot be used. It carries every problem found in it."""

    def __init__(self, problems: Iterable[Problem]) -> None:
        self.problems = list(problems)
        super().__init__("; ".join(problem.describe() for problem in self.problems))


def parse_pattern(pattern: str, *, is_subfolder: bool = False) -> tuple[ParsedPattern, list[Problem]]:
    """Split PATTERN into components and tokens, returning the result and its syntax problems.

    Errors: an unclosed `{`, a lone `}`, an empty `{}`, a backslash, a pattern
    starting with `/` (absolute), and a component made only of two or more dots.
    A file-name pattern (IS_SUBFOLDER false) must also not be empty or end with
    `/`. A subfolder pattern may be empty and may end with `/`.
    """
    raw_components, problems = _split_components(pattern)
    problems += _check_structure(pattern, raw_components, is_subfolder)

    components = tuple(
        tuple(component) for component in raw_components if component and component != ["."]
    )
    return ParsedPattern(pattern, components), problems


def pattern_fields(pattern: str) -> set[str]:
    """Return the names of every token in PATTERN, built-in tokens included.

    Subtract BUILTIN_TOKENS to get the row columns the pattern reads.
    Raises PatternError if the pattern's syntax is invalid.
    """
    parsed, problems = parse_pattern(pattern, is_subfolder=True)
    errors = [problem for problem in problems if problem.severity is Severity.ERROR]
    if errors:
        raise PatternError(errors)
    return {token.name for token in parsed.tokens()}


def check_pattern(pattern: str, columns: Iterable[str], *, is_subfolder: bool = False) -> list[Problem]:
    """Return every problem of PATTERN for a job source with COLUMNS, errors and warnings.

    Errors: invalid syntax (see `parse_pattern`), a token that is neither a
    built-in token nor a column, and a format spec the token does not accept.
    Warnings: a column shadowed by a built-in token of the same name, and
    literal characters that will be written as `_`.
    """
    column_list = list(columns)
    parsed, problems = parse_pattern(pattern, is_subfolder=is_subfolder)
    for token in parsed.tokens():
        problems += _check_token(pattern, token, column_list)
    problems += _check_literal_characters(pattern, parsed)
    return problems


def _split_components(pattern: str) -> tuple[list[list[Segment]], list[Problem]]:
    components: list[list[Segment]] = [[]]
    problems: list[Problem] = []
    literal: list[str] = []

    def flush_literal() -> None:
        if literal:
            components[-1].append("".join(literal))
            literal.clear()

    position = 0
    while position < len(pattern):
        character = pattern[position]
        pair = pattern[position:position + 2]
        if pair in ("{{", "}}"):
            literal.append(character)
            position += 2
        elif character == "{":
            end = pattern.find("}", position + 1)
            nested = pattern.find("{", position + 1)
            if end == -1 or (nested != -1 and nested < end):
                problems.append(_error(pattern, f"unclosed '{{' at position {position + 1}; "
                                                "write '{{' for a literal brace"))
                literal.append(character)
                position += 1
                continue
            flush_literal()
            components[-1].append(_make_token(pattern[position:end + 1]))
            position = end + 1
        elif character == "}":
            problems.append(_error(pattern, f"unmatched '}}' at position {position + 1}; "
                                            "write '}}' for a literal brace"))
            literal.append(character)
            position += 1
        elif character == FOLDER_SEPARATOR:
            flush_literal()
            components.append([])
            position += 1
        else:
            literal.append(character)
            position += 1

    flush_literal()
    return components, problems


def _make_token(text: str) -> Token:
    body = text[1:-1]
    name, colon, spec = body.partition(":")
    return Token(name=name, spec=spec if colon else None, text=text)


def _check_structure(pattern: str, components: list[list[Segment]], is_subfolder: bool) -> list[Problem]:
    problems: list[Problem] = []
    if "\\" in pattern:
        problems.append(_error(pattern, "a backslash is not a folder separator here; use '/' between folders"))
    if pattern.startswith(FOLDER_SEPARATOR):
        problems.append(_error(pattern, "the pattern must be relative to the run folder; remove the leading '/'"))

    for component in components:
        if len(component) == 1 and isinstance(component[0], str) and _is_only_dots(component[0]):
            problems.append(_error(pattern, f"'{component[0]}' as a folder name is not allowed: "
                                            "files always stay inside the run folder"))
        if any(isinstance(segment, Token) and segment.name == "" for segment in component):
            problems.append(_error(pattern, "empty token '{}'; put a column or built-in token name inside"))

    if not is_subfolder:
        if not any(components):
            problems.append(_error(pattern, "the file-name pattern is empty"))
        elif components[-1] in ([], ["."]):
            problems.append(_error(pattern, "the file-name pattern ends with '/'; it must end with a file name"))
    return problems


def _check_token(pattern: str, token: Token, columns: list[str]) -> list[Problem]:
    if token.name == "":
        return []  # reported by _check_structure

    if token.name not in BUILTIN_TOKENS and token.name not in columns:
        return [_unknown_token_problem(pattern, token, columns)]

    problems = []
    try:
        check_token_spec(token.name, token.spec)
    except TokenSpecError as error:
        problems.append(_error(pattern, f"invalid format in {token.text}: {error}"))

    if token.name in BUILTIN_TOKENS and token.name in columns and token.name not in USUALLY_FROM_COLUMN:
        problems.append(Problem(
            f"{token.text} is the built-in {token.name} value, not the column '{token.name}'; "
            "rename the column to use its values in names",
            value=pattern, column=token.name, severity=Severity.WARNING,
        ))
    return problems


def _unknown_token_problem(pattern: str, token: Token, columns: list[str]) -> Problem:
    message = f"unknown token {token.text}: no column named '{token.name}'"
    candidates = {name.casefold(): name for name in [*columns, *sorted(BUILTIN_TOKENS)]}
    close = get_close_matches(token.name.casefold(), list(candidates), n=1)
    if close:
        message += f"; did you mean {{{candidates[close[0]]}}}?"

    shown_columns = ", ".join(columns) if columns else "(none)"
    allowed = f"columns: {shown_columns}; built-in tokens: {', '.join(sorted(BUILTIN_TOKENS))}"
    return Problem(message, value=pattern, column=token.name, allowed=allowed)


def _check_literal_characters(pattern: str, parsed: ParsedPattern) -> list[Problem]:
    # A date format's own characters ("{time:%H:%M}") reach the name like literal text, so they are checked too.
    literal_text = "".join(
        segment if isinstance(segment, str) else segment.spec or ""
        for component in parsed.components
        for segment in component
        if isinstance(segment, str) or segment.name in DATE_TIME_TOKENS
    )
    replaced = sorted({character for character in literal_text
                       if character in FORBIDDEN_CHARACTERS and character != "\\"})
    if not replaced:
        return []
    listed = " ".join(repr(character) for character in replaced)
    return [Problem(f"{listed} cannot appear in file names and will be written as '_'",
                    value=pattern, severity=Severity.WARNING)]


def _is_only_dots(text: str) -> bool:
    return len(text) >= 2 and set(text) == {"."}


def _error(pattern: str, message: str) -> Problem:
    return Problem(message, value=pattern)
