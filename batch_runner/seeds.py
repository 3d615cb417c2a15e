"""Seed cells: exact parsing over ComfyUI's full seed range, derived and random seeds."""

from __future__ import annotations

import hashlib
import re
import secrets
from typing import Iterable

from .problems import Problem
from .rows import Row

SEED_MIN = 0
# ComfyUI's sampler nodes accept seeds up to 0xffffffffffffffff.
SEED_MAX = 2**64 - 1
SEED_RANGE = f"{SEED_MIN} to {SEED_MAX}"
RANDOM_SEED_TEXT = "-1"
SEED_ALLOWED = f"{SEED_RANGE}; an empty cell or {RANDOM_SEED_TEXT} picks a random seed when the row is queued"

_DECIMAL = re.compile(r"[+-]?[0-9]+")


def parse_seed(text: str) -> int | None:
    """Parse a seed cell exactly; None means "random, chosen at queue time".

    An empty cell and -1 both mean random. Any other value must be a decimal
    integer from 0 to 2**64-1; the ValueError for anything else names that range.
    """
    stripped = text.strip()

    if stripped in ("", RANDOM_SEED_TEXT):
        return None

    if not _DECIMAL.fullmatch(stripped):
        raise ValueError(f"seed {text!r} is not a whole number; allowed: {SEED_ALLOWED}")

    seed = int(stripped, 10)
    if not SEED_MIN <= seed <= SEED_MAX:
        raise ValueError(f"seed {text!r} is out of range; allowed: {SEED_ALLOWED}")
    return seed


def derived_seed(row_id: str, salt: str = "") -> int:
    """Derive a seed in 0..2**64-1 from a row id, the same on every run and machine.

    `salt` gives a different but equally stable seed for the same id, for
    example one per sampler in a workflow.
    """
    # The length prefix keeps ("ab", "c") and ("a", "bc") apart.
    payload = f"{len(salt)}:{salt}|{row_id}".encode("utf-8")
    digest = hashlib.sha256(payload).digest()
    return int.from_bytes(digest[:8], "big")


def random_seed() -> int:
    """Draw a seed uniformly from 0..2**64-1 from the operating system's random source."""
    return secrets.randbits(64)


def seed_problems(rows: Iterable[Row], column: str, file: str | None = None) -> list[Problem]:
    """Check every row's seed cell in `column` and return one Problem per invalid cell."""
    problems = []
    for row in rows:
        text = row.values.get(column, "")
        try:
            parse_seed(text)
        except ValueError:
            problems.append(
                Problem(
                    message=f"invalid seed; a seed is a whole number from {SEED_RANGE}",
                    file=file,
                    row=row.number,
                    column=column,
                    value=text,
                    allowed=SEED_ALLOWED,
                    row_id=row.id,
                )
            )
    return problems
