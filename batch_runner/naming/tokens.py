"""Token values: what each `{token}` in a naming pattern expands to for one row."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from ..rows import Row
from .safe_names import cut_to_characters

# Tokens that do not name a column. A column with one of these names is
# shadowed: the token always means the built-in value.
BUILTIN_TOKENS = frozenset({"id", "run", "seed", "index", "image", "date", "time", "datetime"})

# Built-in tokens whose value usually comes from a column of the same name, so
# shadowing that column is expected and not worth a warning.
USUALLY_FROM_COLUMN = frozenset({"id", "seed"})

DATE_TIME_TOKENS = {
    "date": "%Y-%m-%d",
    "time": "%H-%M-%S",
    "datetime": "%Y-%m-%d_%H-%M-%S",
}

# The strftime directives a date or time token accepts. They are computed here,
# not by time.strftime, because strftime pads and localises differently per
# platform, and names must be the same on every machine.
DATE_DIRECTIVES = {
    "Y": lambda moment: f"{moment.year:04d}",
    "y": lambda moment: f"{moment.year % 100:02d}",
    "m": lambda moment: f"{moment.month:02d}",
    "d": lambda moment: f"{moment.day:02d}",
    "H": lambda moment: f"{moment.hour:02d}",
    "M": lambda moment: f"{moment.minute:02d}",
    "S": lambda moment: f"{moment.second:02d}",
    "j": lambda moment: f"{moment.timetuple().tm_yday:03d}",
    "G": lambda moment: f"{moment.isocalendar()[0]:04d}",
    "V": lambda moment: f"{moment.isocalendar()[1]:02d}",
    "u": lambda moment: f"{moment.isocalendar()[2]:d}",
    "%": lambda moment: "%",
}

MAX_WIDTH = 20  # for {index:N} and {image:N}
MAX_TEXT_LENGTH = 255  # for {column:N}, in characters


@dataclass(frozen=True)
class NamingContext:
    """Everything the tokens of one row's output name can refer to.

    `started_at` is the run's start time, not the time of saving, so every image
    of a run shares one date and a resumed run repeats the names it planned.
    `job_count` sets the default width of `{index}`. `image_count`, when known,
    sets the default width of `{image}`.
    """

    row: Row
    run_name: str
    job_count: int
    started_at: datetime
    seed: int | str | None = None
    image_count: int | None = None


class TokenSpecError(ValueError):
    """Raised for a format spec that a token does not accept. The message lists what it accepts."""


def check_token_spec(name: str, spec: str | None) -> None:
    """Raise TokenSpecError unless SPEC (the text after ':') is valid for token NAME."""
    if spec is None:
        return
    if name in ("index", "image"):
        _parse_width(spec, f"{{{name}:N}} takes a zero-padded width N from 1 to {MAX_WIDTH}")
    elif name in DATE_TIME_TOKENS:
        format_date(datetime(2000, 1, 1), spec)
    elif name == "seed":
        raise TokenSpecError("{seed} takes no format")
    else:
        _parse_width(spec, f"{{{name}:N}} keeps the first N characters, N from 1 to {MAX_TEXT_LENGTH}",
                     maximum=MAX_TEXT_LENGTH)


def expand_token(name: str, spec: str | None, context: NamingContext, image_index: int | None) -> str:
    """Return the raw text of token NAME for CONTEXT, before it is made safe for a path.

    A column missing from the row expands to "" and `{seed}` without a seed
    expands to "". `{image}` is 1 when IMAGE_INDEX is None.
    """
    if name == "index":
        default_width = len(str(max(context.job_count, context.row.number, 1)))
        return _zero_pad(context.row.number, spec, default_width)
    if name == "image":
        default_width = len(str(context.image_count)) if context.image_count else 1
        return _zero_pad(image_index or 1, spec, default_width)
    if name in DATE_TIME_TOKENS:
        return format_date(context.started_at, spec or DATE_TIME_TOKENS[name])
    if name == "seed":
        return "" if context.seed is None else str(context.seed)

    if name == "id":
        value: object = context.row.id
    elif name == "run":
        value = context.run_name
    else:
        value = context.row.values.get(name)
    text = "" if value is None else str(value)
    return text if spec is None else cut_to_characters(text, _parse_width(spec, "", maximum=MAX_TEXT_LENGTH))


def format_date(moment: datetime, date_format: str) -> str:
    """Return MOMENT written with DATE_FORMAT, which may use only the DATE_DIRECTIVES.

    Raises TokenSpecError naming the first unsupported directive.
    """
    parts: list[str] = []
    position = 0
    while position < len(date_format):
        character = date_format[position]
        if character != "%":
            parts.append(character)
            position += 1
            continue

        directive = date_format[position + 1:position + 2]
        if directive not in DATE_DIRECTIVES:
            found = f"%{directive}" if directive else "a lone %"
            allowed = " ".join(f"%{key}" for key in DATE_DIRECTIVES)
            raise TokenSpecError(f"unsupported date directive {found}; supported: {allowed}")
        parts.append(DATE_DIRECTIVES[directive](moment))
        position += 2
    return "".join(parts)


def _zero_pad(number: int, spec: str | None, default_width: int) -> str:
    width = default_width if spec is None else _parse_width(spec, "")
    return str(number).zfill(width)


def _parse_width(spec: str, message: str, maximum: int = MAX_WIDTH) -> int:
    if not (spec.isascii() and spec.isdigit()) or not 1 <= int(spec) <= maximum:
        raise TokenSpecError(message or f"expected a number from 1 to {maximum}")
    return int(spec)
