"""`{column}` placeholders in prompt templates, safe next to dynamic-prompt braces.

Rules, checked in this order for each brace group in the text:

1. `{{name}}`, where name looks like a variable, is an escape and writes a
   literal `{name}`. Doubled braces around anything else are not an escape.
2. `{name}`, where name is exactly a known column or variable name (spaces
   and any other characters allowed), is replaced by that row's value.
3. `{name}`, where name looks like a variable (`[A-Za-z_][A-Za-z0-9_]*`) but
   is not known, is an error: it is almost always a typo or a missing column.
4. Any other brace group passes through untouched: dynamic-prompt choices
   `{red|blue}` and `{2$$a|b}`, JSON-like text, `{}`, `{ name }` with spaces.

Text outside braces, such as prompt weights `(soft light:1.2)`, is never
changed. A group is the innermost `{...}` with no braces inside, so
`{a|{subject}}` fills `subject` and keeps the choice around it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Collection, Mapping

from .problems import Problem

VARIABLE_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
# Alternatives in priority order: the escape `{{name}}`, then an innermost brace group.
_BRACE_TOKEN = re.compile(r"\{\{([A-Za-z_][A-Za-z0-9_]*)\}\}|\{([^{}]*)\}")


class TemplateError(ValueError):
    """Raised when a placeholder looks like a variable but names no known column or variable."""

    def __init__(self, name: str, known: Collection[str] = ()) -> None:
        self.name = name
        listed = ", ".join(sorted(known)[:20]) or "none"
        super().__init__(
            f"placeholder {{{name}}} names no column or variable (known: {listed});"
            f" fix the name, add a '{name}' column, or write {{{{{name}}}}} for a literal {{{name}}}"
        )


@dataclass(frozen=True)
class _Group:
    """A `{...}` group whose meaning depends on the row: a value if `content` is a known name."""

    content: str
    looks_like_variable: bool


class Template:
    """A template split once into literal text and brace groups, for rendering many rows fast."""

    def __init__(self, text: str) -> None:
        self.text = text
        self._parts: list[str | _Group] = []

        position = 0
        for match in _BRACE_TOKEN.finditer(text):
            self._parts.append(text[position : match.start()])
            escaped, content = match.groups()
            if escaped is not None:
                self._parts.append("{" + escaped + "}")
            else:
                self._parts.append(_Group(content, VARIABLE_NAME.fullmatch(content) is not None))
            position = match.end()
        self._parts.append(text[position:])

        self._groups = [part for part in self._parts if isinstance(part, _Group)]

    def placeholders(self, known: Collection[str] = ()) -> list[str]:
        """Return the names the template refers to, each once, in order of first use.

        These are the variable-like names plus any other group text that is in
        `known` (a column name with spaces, for instance).
        """
        names: list[str] = []
        for group in self._groups:
            referenced = group.looks_like_variable or group.content in known
            if referenced and group.content not in names:
                names.append(group.content)
        return names

    def unknown_placeholders(self, known: Collection[str]) -> list[str]:
        """Return the variable-like names that are not in `known`, each once, in order of first use."""
        return [name for name in self.placeholders(known) if name not in known]

    def render(self, values: Mapping[str, str]) -> str:
        """Fill the template from one row's values; raise TemplateError on an unknown variable-like name."""
        pieces = []
        for part in self._parts:
            if isinstance(part, str):
                pieces.append(part)
                continue
            value = values.get(part.content)
            if value is not None:
                pieces.append(value)
            elif part.looks_like_variable:
                raise TemplateError(part.content, values.keys())
            else:
                pieces.append("{" + part.content + "}")
        return "".join(pieces)


def placeholders(template: str, known: Collection[str] = ()) -> list[str]:
    """Return the names `template` refers to; see Template.placeholders."""
    return Template(template).placeholders(known)


def unknown_placeholders(template: str, known: Collection[str]) -> list[str]:
    """Return the variable-like names in `template` that are not in `known`."""
    return Template(template).unknown_placeholders(known)


def render(template: str, values: Mapping[str, str]) -> str:
    """Fill `template` from `values` once; compile a Template to render many rows."""
    return Template(template).render(values)


def template_problems(
    template: str,
    known: Collection[str],
    *,
    file: str | None = None,
    row: int | None = None,
    row_id: str | None = None,
    column: str | None = None,
) -> list[Problem]:
    """Return one Problem per unknown variable-like placeholder, located as precisely as the caller can."""
    known_names = set(known)
    listed = ", ".join(sorted(known_names)) or "none"
    return [
        Problem(
            message=(
                f"placeholder {{{name}}} names no column or variable;"
                f" fix the name, add a '{name}' column, or write {{{{{name}}}}} for a literal {{{name}}}"
            ),
            file=file,
            row=row,
            row_id=row_id,
            column=column,
            value=name,
            allowed=listed,
        )
        for name in Template(template).unknown_placeholders(known_names)
    ]
